// The server stopped for 20 s and started again on the same port and data dir: the host keeps
// running, the SDK reconnects, and a result produced during the outage is applied exactly once.
import { createServer } from "node:net";
import t from "tap";
import { sleep } from "../helpers.js";
import { captureLogger, execute, loadSdk, operatorOn, startFixedServer, tokenFileIn, waitFor, waitTerminal } from "./sdkKit.js";

const OUTAGE_MS = 20_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

t.test("a 20 s outage: the result produced meanwhile is delivered once after the restart", async (t) => {
  const dir = t.testdir();
  const port = await freePort();
  let server = await startFixedServer(dir, port);
  let serverUp = true;
  t.teardown(() => (serverUp ? server.close() : undefined));
  const op = await operatorOn(server, true);
  const registrationToken = (await op.post("/api/admin/registration-tokens", {})).body.data.rawToken as string;

  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  t.teardown(() => void process.off("unhandledRejection", onUnhandled));

  let acceptedResults = 0;
  const countingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (String(input).endsWith("/result") && res.ok) acceptedResults++;
    return res;
  };
  const { CapsuleAgent } = await loadSdk();
  const log = captureLogger();
  const agent = new CapsuleAgent({
    backendUrl: server.url, registrationToken, tokenFile: tokenFileIn(dir), agent: { code: "outage-test" },
    fetch: countingFetch, logger: log.logger, backoff: { baseMs: 100, maxMs: 1000 }, progressIntervalMs: 200,
  });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let runs = 0;
  agent.action({
    name: "work", label: "Work",
    handler: async () => {
      runs++;
      await gate;
      return { success: true, message: "done", data: { run: runs } };
    },
  });
  await agent.start();
  t.teardown(() => agent.stop());
  const cmd = await execute(op, agent.serviceId!, "work");
  await waitFor(() => runs === 1, 3000, "the handler to start");

  await server.close();
  serverUp = false;
  const downAt = Date.now();
  release(); // the handler finishes while the server is away
  await waitFor(() => agent.pendingResults === 1, 3000, "the result to be queued");
  await sleep(OUTAGE_MS - (Date.now() - downAt));
  t.equal(agent.pendingResults, 1, "the result is kept in memory through the outage");
  t.equal(acceptedResults, 0);
  t.same(unhandled, [], "no unhandled rejection reached the host");

  server = await startFixedServer(dir, port);
  serverUp = true;
  await waitFor(() => agent.pendingResults === 0, 10_000, "the result to be delivered");
  const op2 = await operatorOn(server, false);
  const done = await waitTerminal(op2, cmd.id);
  t.equal(done.status, "SUCCEEDED");
  t.equal(done.result.data.run, 1);
  t.equal(acceptedResults, 1, "delivered exactly once");
  const audits = (await server.db.get<{ n: number }>("SELECT count(*) AS n FROM audit_events WHERE action = 'command.completed' AND target_id = ?", [cmd.id]))!;
  t.equal(audits.n, 1, "one completion in the audit log");
  t.equal(runs, 1, "the handler ran once");

  // Reconnected: a new command reaches the handler.
  const next = await execute(op2, agent.serviceId!, "work");
  t.equal((await waitTerminal(op2, next.id, 10_000)).status, "SUCCEEDED");
  t.equal(agent.state, "running");
  t.ok(log.lines.some((l) => l.includes("unreachable")), "the outage was logged");
  t.same(unhandled, []);
});
