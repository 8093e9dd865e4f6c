// The cost of isolation (issue #20): per-run latency of one command through the SDK bundle, from the
// command poll answering to the result being posted, for the same trivial handler run in process,
// in a warm pooled Worker, and in a cold Worker each run (recycleAfter: 1: a Worker start per run).
// No server: a scripted fetch hands out one command at a time and takes the result, so the figure
// is the SDK's own path (executor, pool, message round trip) without network noise. Ratios are
// against the in-process run of the same process and minute.
// Run after `npm run build`: node bench/sdk-isolation.mjs   (RUNS=500 to change the count)
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { CapsuleAgent, MemoryTokenStore } from "../sdk/dist/index.mjs";
import { emitResult, SMOKE } from "./lib/report.mjs";
import { ms, summarize, table } from "./lib/stats.mjs";

const RUNS = Number(process.env.RUNS ?? (SMOKE ? 20 : 400));
const WARMUP = SMOKE ? 3 : 30;
const MODULE = fileURLToPath(new URL("./lib/isolated-echo.mjs", import.meta.url));
const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };
const json = (data) => new Response(JSON.stringify({ success: true, data }), { status: 200, headers: { "content-type": "application/json" } });

/** A scripted Capstan: registration, report and heartbeat answered at once; polls wait for `next`. */
function scriptedServer() {
  let pending = null; // the command to hand out
  let parked = null; // a poll waiting for one
  let onParked = null; // runOnce waiting for the agent's next poll
  const results = new Map(); // command id -> resolve(time the result arrived)
  const give = (resolve) => {
    const cmd = pending;
    pending = null;
    resolve(json([cmd]));
  };
  const fetch = async (url, init) => {
    const path = new URL(url).pathname;
    if (path.endsWith("/register")) return json({ agentId: "agt_bench", agentToken: "opstage_agent_benchTokenValue123456", heartbeatIntervalSeconds: 30, commandPollIntervalSeconds: 5, services: [{ code: "iso-bench", serviceId: "svc_bench" }] });
    if (path.endsWith("/services/report")) return json({ services: [{ code: "iso-bench", serviceId: "svc_bench" }] });
    if (path.endsWith("/heartbeat")) return json({ heartbeatIntervalSeconds: 30, commandPollIntervalSeconds: 5 });
    if (path.endsWith("/progress")) return json({ cancelRequested: false });
    if (path.endsWith("/result")) {
      const id = path.split("/").at(-2);
      results.get(id)?.(performance.now());
      return json({});
    }
    if (path.endsWith("/commands")) {
      return await new Promise((resolve) => {
        if (pending) return give(resolve);
        parked = resolve;
        onParked?.();
        init?.signal?.addEventListener("abort", () => resolve(json([])), { once: true });
      });
    }
    return json({});
  };
  let seq = 0;
  /**
   * Waits for the agent's next poll to park (so the figure never includes the agent's re-poll), then
   * answers it with one command; resolves with the time from that answer to the command's result.
   */
  const runOnce = async (actionName) => {
    if (!parked) await new Promise((r) => (onParked = r));
    onParked = null;
    const id = `cmd_bench${seq++}`;
    pending = { id, type: "ACTION_EXECUTE", actionName, payload: { n: seq } };
    const done = new Promise((resolve) => results.set(id, resolve));
    const t0 = performance.now();
    const p = parked;
    parked = null;
    give(p);
    const t1 = await done;
    results.delete(id);
    return t1 - t0;
  };
  return { fetch, runOnce };
}

// Nothing here holds the event loop open (the SDK's timers and idle Workers are unref'd and the
// scripted polls are plain promises): keep the process alive until the figures are out.
const keepAlive = setInterval(() => {}, 1000);
const server = scriptedServer();
const agent = new CapsuleAgent({
  backendUrl: "http://capstan.bench", registrationToken: "opstage_reg_benchRegistration1234", tokenStore: new MemoryTokenStore(),
  agent: { code: "iso-bench" }, logger: quiet, fetch: server.fetch, progressIntervalMs: 60_000,
});
agent.action({ name: "inproc", label: "In process", handler: (payload) => ({ n: payload.n }) });
agent.action({ name: "warm", label: "Pooled Worker", isolate: { module: MODULE, memoryMb: 64 } });
agent.action({ name: "cold", label: "Cold Worker per run", isolate: { module: MODULE, memoryMb: 64, recycleAfter: 1 } });
await agent.start();

async function measure(action, runs) {
  for (let i = 0; i < WARMUP; i++) await server.runOnce(action);
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await server.runOnce(action));
  return samples;
}

// In-process and warm runs in interleaved rounds, so a load spike on the shared machine hits both
// alike; the cold runs last (each ends a Worker, whose teardown on other threads would otherwise
// spill into the next round's measurements).
const modes = ["inproc", "warm", "cold"];
const all = Object.fromEntries(modes.map((m) => [m, []]));
const ROUNDS = 4;
for (let r = 0; r < ROUNDS; r++) {
  for (const m of ["inproc", "warm"]) all[m].push(...(await measure(m, Math.round(RUNS / ROUNDS))));
}
all.cold.push(...(await measure("cold", Math.max(5, Math.round(RUNS / 4)))));
await agent.stop();
clearInterval(keepAlive);

const stats = Object.fromEntries(modes.map((m) => [m, summarize(all[m])]));
const base = stats.inproc;
const ratio = (v, b) => (b > 0 ? `${(v / b).toFixed(1)}x` : "n/a");
console.log("Per-run latency, poll answer -> result posted (same trivial handler):");
console.log(table([
  ["mode", "runs", "p50", "p99", "p50 vs in-process", "p99 vs in-process"],
  ...modes.map((m) => [m === "inproc" ? "in process" : m === "warm" ? "pooled Worker (warm)" : "cold Worker each run", String(stats[m].n), ms(stats[m].p50, 2), ms(stats[m].p99, 2), ratio(stats[m].p50, base.p50), ratio(stats[m].p99, base.p99)]),
]));
console.log(`isolation cost per run (p50): +${(stats.warm.p50 - base.p50).toFixed(2)} ms warm, cold Worker start about ${(stats.cold.p50 - stats.warm.p50).toFixed(1)} ms`);
emitResult("sdk-isolation", [
  {
    name: "ISO-1. Isolated run, warm pool (p50 / p99)", value: `${ms(stats.warm.p50, 2)} / ${ms(stats.warm.p99, 2)}`,
    baseline: `in process ${ms(base.p50, 2)} / ${ms(base.p99, 2)}`, ratio: Number((stats.warm.p50 / base.p50).toFixed(2)), target: "informational (issue #20: report the cost)", met: null,
  },
  {
    name: "ISO-2. Isolated run, cold Worker (p50 / p99)", value: `${ms(stats.cold.p50, 1)} / ${ms(stats.cold.p99, 1)}`,
    baseline: `in process ${ms(base.p50, 2)} / ${ms(base.p99, 2)}`, ratio: Number((stats.cold.p50 / base.p50).toFixed(1)), target: "informational", met: null,
  },
]);
