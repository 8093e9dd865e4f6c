// Outages between the SDK and the server, injected by a small proxy of our own: the server is
// unreachable, answers 500, answers 10 s late, or cuts connections. The host keeps running, memory
// stays bounded, and every command runs once with its result recorded once.
import http from "node:http";
import type { AddressInfo } from "node:net";
import t from "tap";
import { startTestServer, sleep } from "../helpers.js";
import { captureLogger, loadSdk, waitFor, waitTerminal } from "../sdk/sdkKit.js";

type Mode = "pass" | "down" | "error500" | "slow" | "cut";
const SLOW_MS = 10_000;

/**
 * The proxy. A poll is only ever failed *before* it reaches the server (a claimed command whose
 * answer is lost stays RUNNING until it expires: the contract has no poll acknowledgement, see
 * docs/reliability.md); results are also failed *after* the server applied them, so the SDK must
 * retry what the server already has.
 */
async function startProxy(target: string) {
  let mode: Mode = "pass";
  const seen: Record<Mode, number> = { pass: 0, down: 0, error500: 0, slow: 0, cut: 0 };
  const forward = (req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const u = new URL(target);
      const out = http.request({ host: u.hostname, port: u.port, method: req.method, path: req.url, headers: { ...req.headers, host: u.host } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c)).on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) })).on("error", reject);
      });
      out.on("error", reject);
      out.end(body);
    });
  const server = http.createServer(async (req, res) => {
    const m = mode;
    seen[m]++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const isPoll = req.method === "GET" && /\/commands(\?|$)/.test(req.url ?? "");
    const isResult = /\/result$/.test(req.url ?? "");
    try {
      if (m === "down" || (m === "cut" && !isResult)) return void req.socket.destroy();
      if (m === "error500") return void res.writeHead(500, { "content-type": "text/plain" }).end("upstream exploded");
      if (m === "slow" && isPoll) {
        await sleep(SLOW_MS);
        if (req.socket.destroyed) return; // the client gave up: the server never sees the poll
      }
      const answer = await forward(req, Buffer.concat(chunks));
      if (m === "cut") return void req.socket.destroy(); // applied upstream, answer lost
      if (m === "slow" && !isPoll) await sleep(SLOW_MS);
      if (req.socket.destroyed) return;
      res.writeHead(answer.status, { "content-type": answer.headers["content-type"] ?? "application/json" }).end(answer.body);
    } catch {
      req.socket.destroy();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    set: (m: Mode) => void (mode = m),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

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
