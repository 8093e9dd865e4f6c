// Command delivery latency through the real stack: from the operator's execute request (admin API)
// to the handler starting in the SDK, with long polling and with interval polling.
// Run after `npm run build`: node bench/sdk-dispatch.mjs   (RUNS=50 RUNS_POLL=12 to change counts)
import { performance } from "node:perf_hooks";
import { launchServer } from "../demo/launch.mjs";
import { printDispatchTable } from "./lib/report.mjs";
import { CapsuleAgent, MemoryTokenStore } from "../sdk/dist/index.mjs";

const RUNS = Number(process.env.RUNS ?? 50);
const RUNS_POLL = Number(process.env.RUNS_POLL ?? 12);
const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };

async function measure(server, longPoll, runs) {
  const reg = await server.admin("POST", "/api/admin/registration-tokens", { name: `bench ${longPoll}` });
  let onStart = () => {};
  const agent = new CapsuleAgent({
    backendUrl: server.url, registrationToken: reg.rawToken, tokenStore: new MemoryTokenStore(),
    agent: { code: longPoll ? "bench-long-poll" : "bench-interval-poll" }, longPoll, logger: quiet,
  });
  agent.action({ name: "ping", label: "Ping", handler: () => onStart(performance.now()) });
  await agent.start();
  const samples = [];
  for (let i = 0; i < runs + 3; i++) {
    const started = new Promise((r) => (onStart = r));
    const t0 = performance.now();
    await server.admin("POST", `/api/admin/capsule-services/${agent.serviceId}/actions/ping`, { payload: {} });
    const t1 = await started;
    if (i >= 3) samples.push(t1 - t0); // the first runs warm up the JIT and connections
    // Let the result go out, then vary the phase against the poll cycle (uniform over one interval).
    await new Promise((r) => setTimeout(r, 30 + Math.random() * (longPoll ? 50 : 5000)));
  }
  await agent.stop();
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  return { mode: longPoll ? "long poll (waitSeconds=25)" : "interval poll (5 s)", runs: samples.length, medianMs: q(0.5), p95Ms: q(0.95), minMs: samples[0], maxMs: samples.at(-1) };
}

const server = await launchServer();
try {
  const rows = [await measure(server, true, RUNS), await measure(server, false, RUNS_POLL)];
  printDispatchTable(`node ${process.version}`, rows);
} finally {
  await server.stop();
}
