// Isolated execution (issue #20), through the built SDK bundle against a real server: an isolated
// handler runs in a pooled Worker; a hard timeout, the heap limit and a cancel each end it with their
// code while the host's event loop stays responsive, and the next run of the same action works.
// Every result carries metrics; retries happen only for actions that declared `retry`.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import t from "tap";
import { createRegistrationToken } from "../fixtures.js";
import { startTestServer, type Client, type Tap, type TestServer } from "../helpers.js";
import { rootPath } from "../../src/paths.js";
import { captureLogger, execute, loadSdk, tokenFileIn, waitFor, waitTerminal, type CapsuleAgent } from "./sdkKit.js";

t.setTimeout(240_000);

const WORK = rootPath("test/sdk/isolated/work.mjs");
const FAST = { backoff: { baseMs: 50, maxMs: 500 }, progressIntervalMs: 100, cancelGraceMs: 1500 };

async function agentOn(t: Tap, s: TestServer, define: (agent: CapsuleAgent) => void, extra: object = {}): Promise<{ agent: CapsuleAgent; op: Client; sid: string }> {
  const { CapsuleAgent } = await loadSdk();
  const op = await s.loginAs("operator");
  const agent = new CapsuleAgent({
    backendUrl: s.url, registrationToken: await createRegistrationToken(op), tokenFile: tokenFileIn(s.config.dataDir),
    agent: { code: "iso-svc" }, logger: captureLogger().logger, ...FAST, ...extra,
  });
  define(agent);
  await agent.start();
  t.teardown(() => agent.stop());
  return { agent, op, sid: agent.serviceId! };
}

const run = async (op: Client, sid: string, action: string, payload: object = {}) =>
  await waitTerminal(op, (await execute(op, sid, action, { payload })).id, 60_000);

/** CPU this process burns over `ms` (all threads): a spinning Worker left alive would add ~ms. */
async function cpuOver(ms: number): Promise<number> {
  const c0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, ms));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const logsOf = async (op: Client, id: string): Promise<string[]> =>
  ((await op.get(`/api/admin/commands/${id}/logs`)).body.data as { message: string }[]).map((l) => l.message);

t.test("an isolated handler runs in a Worker: result, progress and log bridged, metrics with heap", async (t) => {
  const s = await startTestServer(t);
  const { op, sid } = await agentOn(t, s, (a) => {
    a.action({ name: "work", label: "Work", isolate: { module: WORK, memoryMb: 64 } });
    a.action({ name: "viaUrl", label: "CJS by URL", isolate: { module: pathToFileURL(rootPath("test/sdk/isolated/cjs.cjs")) } });
    a.action({ name: "relative", label: "Relative path", isolate: { module: "./test/sdk/isolated/work.mjs" } });
  });
  const first = await run(op, sid, "work", { message: "hi" });
  t.equal(first.status, "SUCCEEDED", JSON.stringify(first.result));
  t.same(first.result.data, { echo: "hi", runs: 1, commandId: first.id }, "the handler's own value, from the Worker");
  t.same(await logsOf(op, first.id), ["hello from the Worker of work"], "ctx.log bridged");
  t.equal(first.progress.percent, 0.5, "ctx.progress bridged");
  t.equal(first.progress.message, "half way");
  const m = first.result.metrics;
  t.equal(m.attempts, 1);
  t.ok(m.durationMs > 0 && m.durationMs < 60_000, `durationMs ${m.durationMs}`);
  t.ok(typeof m.cpuUserMs === "number" && typeof m.cpuSystemMs === "number");
  t.ok(m.peakHeapMb > 0 && m.peakHeapMb < 1024, `peakHeapMb ${m.peakHeapMb} (the Worker's heap)`);
  const second = await run(op, sid, "work", { message: "again" });
  t.equal(second.result.data.runs, 2, "the warm Worker was reused (module state kept)");

  const failed = await run(op, sid, "work", { mode: "throw" });
  t.equal(failed.errorCode, "ISO_FAILED", "a thrown error's code");
  t.equal((await run(op, sid, "viaUrl", { n: 7 })).result.data.kind, "cjs", "a file: URL, CommonJS default export");
  t.equal((await run(op, sid, "relative", { message: "rel" })).result.data.echo, "rel", "a path relative to the working directory");
});

t.test("a CPU-bound isolated handler is terminated at its timeout; the host's event loop stays responsive", async (t) => {
  const s = await startTestServer(t);
  const { op, sid } = await agentOn(t, s, (a) => a.action({ name: "spin", label: "Spin", timeoutSeconds: 12, isolate: { module: WORK } }));
  await run(op, sid, "spin", {}); // warm: the measurement below is about the spin, not a Worker start
  const cmd = await execute(op, sid, "spin", { payload: { mode: "spin" } });
  await waitFor(async () => (await op.get(`/api/admin/commands/${cmd.id}`)).body.data.status === "RUNNING", 10_000, "spin running");
  // Host timer lag in 1 s windows while the handler spins. The spinner takes one of this machine's
  // (shared, 2) cores, so a window can lose time to the OS scheduler; an event loop the handler
  // blocked would fail every window (lag = the rest of the 12 s timeout). The target, p99 < 20 ms,
  // must hold in at least one of up to eight windows, and no window may stall for a second.
  // monitorEventLoopDelay records each interval between its timer's ticks, the 10 ms resolution
  // included (an idle loop reads ~10 ms): the lag is what exceeds it.
  const RES = 10;
  const windows: { p99: number; max: number; count: number }[] = [];
  for (let i = 0; i < 8; i++) {
    const lag = monitorEventLoopDelay({ resolution: RES });
    lag.enable();
    await new Promise((r) => setTimeout(r, 1000));
    lag.disable();
    windows.push({ p99: lag.percentile(99) / 1e6 - RES, max: lag.max / 1e6 - RES, count: lag.count });
    if (windows.at(-1)!.p99 < 20) break;
  }
  const shown = windows.map((w) => `p99 ${w.p99.toFixed(1)} ms / max ${w.max.toFixed(1)} ms (${w.count} samples)`).join("; ");
  t.ok(windows.every((w) => w.count > 10 && w.max < 1000), `timers kept firing in every window: ${shown}`);
  t.ok(windows.some((w) => w.p99 < 20), `host timer lag p99 < 20 ms while the handler spins: ${shown}`);
  t.equal((await op.get(`/api/admin/commands/${cmd.id}`)).body.data.status, "RUNNING", "measured while the handler was still spinning");
  const done = await waitTerminal(op, cmd.id, 60_000);
  t.equal(done.status, "FAILED");
  t.equal(done.errorCode, "ACTION_TIMEOUT");
  t.equal(done.result.metrics.attempts, 1);
  const busy = await cpuOver(1000);
  t.ok(busy < 500, `the spinning Worker was terminated: ${busy.toFixed(0)} ms CPU in the next 1000 ms`);
  const next = await run(op, sid, "spin", { message: "after" });
  t.equal(next.status, "SUCCEEDED", "the next run works (a fresh Worker)");
  t.equal(next.result.data.runs, 1, "the terminated Worker was replaced");
});

t.test("past its heap limit an isolated handler fails ACTION_OUT_OF_MEMORY and the host lives on", async (t) => {
  const s = await startTestServer(t);
  const { op, sid } = await agentOn(t, s, (a) => a.action({ name: "hog", label: "Hog", timeoutSeconds: 60, isolate: { module: WORK, memoryMb: 32 } }));
  const oom = await run(op, sid, "hog", { mode: "hog" });
  t.equal(oom.status, "FAILED");
  t.equal(oom.errorCode, "ACTION_OUT_OF_MEMORY", oom.errorMessage);
  t.match(oom.errorMessage, /32 MB/);
  t.equal(oom.result.metrics.peakHeapMb, 32, "the limit it hit");
  const next = await run(op, sid, "hog", { message: "fine" });
  t.equal(next.status, "SUCCEEDED", "the next run works");
});

t.test("a cancel terminates a deaf isolated handler after the grace; a polite one answers itself", async (t) => {
  const s = await startTestServer(t);
  const { op, sid } = await agentOn(t, s, (a) => a.action({ name: "job", label: "Job", timeoutSeconds: 120, isolate: { module: WORK } }));
  for (const mode of ["spin", "polite"]) {
    const cmd = await execute(op, sid, "job", { payload: { mode } });
    await waitFor(async () => (await op.get(`/api/admin/commands/${cmd.id}`)).body.data.status === "RUNNING", 10_000, "job running");
    await new Promise((r) => setTimeout(r, 300));
    const asked = Date.now();
    t.equal((await op.post(`/api/admin/commands/${cmd.id}/cancel`, {})).status, 200);
    const done = await waitTerminal(op, cmd.id, 60_000);
    t.equal(done.status, "CANCELLED", `${mode}: cancelled`);
    t.ok(Date.now() - asked < 30_000, `${mode}: ended ${Date.now() - asked} ms after the cancel`);
    if (mode === "spin") {
      // the server ends a cancelled command at once; the agent learns it on its next progress flush,
      // waits the grace (1.5 s) and terminates the Worker: after that nothing spins any more
      await new Promise((r) => setTimeout(r, 3000));
      const busy = await cpuOver(1000);
      t.ok(busy < 500, `the spinning Worker is gone: ${busy.toFixed(0)} ms CPU in the next 1000 ms`);
    }
  }
  const next = await run(op, sid, "job", { message: "after" });
  t.equal(next.status, "SUCCEEDED", "the next run works");
});

t.test("agent.stop() terminates an isolated handler still running after stopGraceMs and reports AGENT_STOPPED", async (t) => {
  const s = await startTestServer(t);
  const { agent, op, sid } = await agentOn(t, s, (a) => a.action({ name: "spin", label: "Spin", timeoutSeconds: 120, isolate: { module: WORK } }), { stopGraceMs: 300 });
  const cmd = await execute(op, sid, "spin", { payload: { mode: "spin" } });
  await waitFor(async () => (await op.get(`/api/admin/commands/${cmd.id}`)).body.data.status === "RUNNING", 10_000, "spin running");
  const asked = Date.now();
  await agent.stop();
  t.ok(Date.now() - asked < 15_000, `stop() returned after ${Date.now() - asked} ms`);
  const done = await waitTerminal(op, cmd.id, 10_000);
  t.equal(done.errorCode, "AGENT_STOPPED", "the result went out before stop() resolved");
  const busy = await cpuOver(1000);
  t.ok(busy < 500, `no Worker spins after stop(): ${busy.toFixed(0)} ms CPU in the next 1000 ms`);
});

t.test("retry: only actions that declared it run again; attempts are logged and counted", async (t) => {
  const s = await startTestServer(t);
  let flaky = 0;
  let plain = 0;
  const { op, sid } = await agentOn(t, s, (a) => {
    a.action({
      name: "flaky", label: "Flaky", retry: { maxAttempts: 3, backoffSeconds: 0.05, on: ["FLAKY"] },
      handler: () => {
        if (++flaky < 3) throw Object.assign(new Error(`transient ${flaky}`), { code: "FLAKY" });
        return { attempt: flaky };
      },
    });
    a.action({
      name: "plain", label: "Plain (no retry declared)",
      handler: () => {
        plain++;
        throw Object.assign(new Error("transient"), { code: "FLAKY" });
      },
    });
    a.action({
      name: "otherCode", label: "Retry on another code", retry: { maxAttempts: 5, backoffSeconds: 0, on: ["FLAKY"] },
      handler: () => {
        throw Object.assign(new Error("permanent"), { code: "BAD_INPUT" });
      },
    });
    a.action({ name: "spinTwice", label: "Isolated, retried on timeout", timeoutSeconds: 1, retry: { maxAttempts: 2, backoffSeconds: 0 }, isolate: { module: WORK } });
  });
  const ok = await run(op, sid, "flaky");
  t.equal(ok.status, "SUCCEEDED");
  t.same(ok.result.data, { attempt: 3 });
  t.equal(ok.result.metrics.attempts, 3);
  const lines = await logsOf(op, ok.id);
  t.match(lines[0], /^attempt 1 of 3: FLAKY transient 1; retrying in 0\.05 s$/);
  t.match(lines[1], /^attempt 2 of 3: FLAKY transient 2; retrying/);
  t.match(lines[2], /^attempt 3 of 3: succeeded$/);

  const once = await run(op, sid, "plain");
  t.equal(once.errorCode, "FLAKY");
  t.equal(plain, 1, "never retried without an opt-in");
  t.equal(once.result.metrics.attempts, 1);

  const other = await run(op, sid, "otherCode");
  t.equal(other.errorCode, "BAD_INPUT");
  t.equal(other.result.metrics.attempts, 1, "a code not listed in `on` is not retried");

  const spun = await run(op, sid, "spinTwice", { mode: "spin" });
  t.equal(spun.errorCode, "ACTION_TIMEOUT");
  t.equal(spun.result.metrics.attempts, 2, "a timed-out isolated attempt is retried in a fresh Worker");
  t.match((await logsOf(op, spun.id)).join("\n"), /attempt 2 of 2: ACTION_TIMEOUT/);

  const svc = await op.get(`/api/admin/capsule-services/${sid}`);
  const reported = (svc.body.data.actions as { name: string; timeoutSeconds?: number }[]).find((x) => x.name === "spinTwice");
  t.equal(reported?.timeoutSeconds, 2, "a retrying action reports its whole budget (2 attempts x 1 s + backoff 0)");
});

t.test("in-process handlers report metrics too (no heap figure)", async (t) => {
  const s = await startTestServer(t);
  const { op, sid } = await agentOn(t, s, (a) => a.action({
    name: "busy", label: "Busy",
    handler: () => {
      // burns 50 ms of CPU, however long that takes on a loaded machine
      const c0 = process.cpuUsage();
      let n = 0;
      while (process.cpuUsage(c0).user < 50_000) n++;
      return { n: n > 0 };
    },
  }));
  const done = await run(op, sid, "busy");
  const m = done.result.metrics;
  t.equal(m.attempts, 1);
  t.ok(m.durationMs >= 45, `durationMs ${m.durationMs} covers the handler's 50 ms of CPU`);
  t.ok(m.cpuUserMs >= 45, `cpuUserMs ${m.cpuUserMs} (+ ${m.cpuSystemMs} system) for a handler that burns 50 ms`);
  t.notOk("peakHeapMb" in m);
});

t.test("an action needs exactly one of handler and isolate", async (t) => {
  const { CapsuleAgent } = await loadSdk();
  const agent = new CapsuleAgent({ agent: { code: "iso-bad" }, backendUrl: "http://capstan.invalid", logger: captureLogger().logger });
  t.throws(() => agent.action({ name: "none", label: "None" }), /handler or isolate\.module/);
  t.throws(() => agent.action({ name: "both", label: "Both", handler: () => 1, isolate: { module: WORK } }), /handler or isolate\.module/);
});
