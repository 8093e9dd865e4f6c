// Outages between the SDK and the server, injected by a small proxy of our own: the server is
// unreachable, answers 500, answers 10 s late, or cuts connections. The host keeps running, memory
// stays bounded, and every command runs once with its result recorded once.
import t from "tap";
import { startTestServer, sleep } from "../helpers.js";
import { SLOW_MS, startProxy, type Mode } from "./_proxy.js";
import { captureLogger, loadSdk, waitFor, waitTerminal } from "../sdk/sdkKit.js";

t.test("the SDK rides out down, 500, slow and cut connections: each command runs once, one result", async (t) => {
  t.setTimeout(120_000);
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const proxy = await startProxy(s.url);
  t.teardown(() => proxy.close());
  const registrationToken = (await op.post("/api/admin/registration-tokens", {})).body.data.rawToken as string;

  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  t.teardown(() => void process.off("unhandledRejection", onUnhandled));

  const { CapsuleAgent } = await loadSdk();
  const log = captureLogger();
  const agent = new CapsuleAgent({
    backendUrl: proxy.url, registrationToken, tokenFile: `${t.testdir()}/token.json`, agent: { code: "outage-agent" },
    logger: log.logger, backoff: { baseMs: 100, maxMs: 1000 },
  });
  const runs = new Map<string, number>();
  agent.action({
    name: "work", label: "Work",
    handler: async (_payload: unknown, ctx: { commandId: string }) => {
      runs.set(ctx.commandId, (runs.get(ctx.commandId) ?? 0) + 1);
      return { success: true, data: { ok: 1 } };
    },
  });
  await agent.start();
  t.teardown(() => agent.stop());
  await waitFor(() => agent.serviceId, 5000, "registration through the proxy");

  const heap: number[] = [];
  const sampler = setInterval(() => heap.push(process.memoryUsage().heapUsed), 100);
  t.teardown(() => clearInterval(sampler));
  const commands: string[] = [];
  const execute = async () => {
    const r = await op.post(`/api/admin/capsule-services/${agent.serviceId}/actions/work`, {});
    t.equal(r.status, 200, "command created");
    commands.push(r.body.data.id);
  };
  const phases: [Mode, number][] = [["pass", 1500], ["down", 3000], ["error500", 3000], ["cut", 5000], ["slow", SLOW_MS + 3000]];
  const pendingMax: number[] = [];
  for (const [mode, ms] of phases) {
    proxy.set(mode);
    await execute();
    const until = Date.now() + ms;
    while (Date.now() < until) {
      pendingMax.push(agent.pendingResults);
      await sleep(100);
    }
  }
  proxy.set("pass");
  for (const id of commands) t.equal((await waitTerminal(op, id, 20_000)).status, "SUCCEEDED", `${id} succeeded after the outages`);
  clearInterval(sampler);

  for (const id of commands) {
    t.equal(runs.get(id), 1, `${id}: the handler ran once`);
    const rows = (await s.db.get<{ results: number; completed: number }>(`SELECT (SELECT count(*) FROM command_results WHERE command_id = ?) AS results,
      (SELECT count(*) FROM audit_events WHERE target_id = ? AND action = 'command.completed') AS completed`, [id, id]))!;
    t.same(rows, { results: 1, completed: 1 }, `${id}: one result, one completion event`);
  }
  t.same(unhandled, [], "no unhandled rejection reached the host");
  t.equal(agent.state, "running", "the agent is running again");
  t.ok(Math.max(...pendingMax) <= commands.length, `the result outbox held at most the results not yet delivered (max ${Math.max(...pendingMax)})`);
  const growthMb = (Math.max(...heap) - heap[0]!) / 1024 / 1024;
  t.ok(growthMb < 64, `heap stayed bounded (grew at most ${growthMb.toFixed(1)} MB over the run)`);
  const next = await op.post(`/api/admin/capsule-services/${agent.serviceId}/actions/work`, {});
  t.equal((await waitTerminal(op, next.body.data.id, 5000)).status, "SUCCEEDED", "and commands flow normally afterwards");
  t.comment(
    `outage: proxy requests by mode ${Object.entries(proxy.seen).map(([k, v]) => `${k}:${v}`).join(" ")}; ${commands.length} commands each run once with one result; ` +
    `heap growth max ${growthMb.toFixed(1)} MB; outbox max ${Math.max(...pendingMax)}`,
  );
});
