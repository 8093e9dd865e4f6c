// Figure 1, heartbeat ingest: requests/s of POST /api/agents/{id}/heartbeat over keep-alive from a
// load generator in its own process, against a bare node:http server answering the same JSON in the
// same run (bench/bare-server.mjs). Rounds alternate bare/Capstan; the ratio is the median over rounds.
// The body is the SDK's (service id + health), so every heartbeat also stores the service's health.
// Run after `npm run build`: node bench/heartbeat-ingest.mjs   (BENCH_SMOKE=1 for a short run)
import { cpus } from "node:os";
import { loadPhase } from "./lib/load.mjs";
import { emitResult, SMOKE, verdict } from "./lib/report.mjs";
import { adminClient, startBare, startCapstan } from "./lib/server.mjs";
import { median, ms, num, table } from "./lib/stats.mjs";
import { firstContact, heartbeatBody, registerFleet } from "./lib/wire.mjs";

const AGENTS = SMOKE ? 20 : 200;
const CONNECTIONS = 32;
const ROUNDS = SMOKE ? 1 : 3;
const WARMUP_MS = SMOKE ? 500 : 2000;
const DURATION_MS = SMOKE ? 2000 : 10_000;

const load = (server, targets) => loadPhase([server], targets, { connections: CONNECTIONS, warmupMs: WARMUP_MS, durationMs: DURATION_MS });

const bare = await startBare();
const capstan = await startCapstan();
try {
  const admin = await adminClient(capstan.url);
  const creds = await registerFleet(capstan.url, admin, AGENTS, { prefix: "ingest" });
  // the measured window is the steady state after first contact (one audit per agent per 5 minutes at most)
  await firstContact([capstan.url], creds);
  const targets = creds.map((c) => ({ method: "POST", path: `/api/agents/${c.agentId}/heartbeat`, token: c.agentToken, body: heartbeatBody(c) }));

  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const b = await load(bare, targets);
    const c = await load(capstan, targets);
    if (c.failed || b.failed) throw new Error(`non-200 answers: capstan ${JSON.stringify(c.statuses)}, bare ${JSON.stringify(b.statuses)}`);
    rounds.push({ bare: b, capstan: c, ratio: c.requestsPerSecond / b.requestsPerSecond });
  }

  console.log(`heartbeat ingest (the SDK's body: serviceId + health): ${AGENTS} agents, ${CONNECTIONS} keep-alive connections, ${DURATION_MS / 1000} s per phase after ${WARMUP_MS / 1000} s warm-up`);
  console.log(table([
    ["round", "bare req/s", "bare p99", "bare CPU", "bare CPU/req", "capstan req/s", "capstan p99", "capstan CPU", "capstan CPU/req", "ratio"],
    ...rounds.map((r, i) => [i + 1, num(r.bare.requestsPerSecond), ms(r.bare.p99Ms), `${num(r.bare.server.cpuPercent)} %`, `${num(r.bare.cpuUsPerRequest)} us`,
      num(r.capstan.requestsPerSecond), ms(r.capstan.p99Ms), `${num(r.capstan.server.cpuPercent)} %`, `${num(r.capstan.cpuUsPerRequest)} us`, r.ratio.toFixed(2)]),
  ]));
  const cpuRatio = median(rounds.map((r) => r.bare.cpuUsPerRequest / r.capstan.cpuUsPerRequest));
  console.log(`server CPU per request, bare / capstan (median over rounds): ${cpuRatio.toFixed(2)}; the load generator shares the machine's ${cpus().length} cores`);
  const ratio = median(rounds.map((r) => r.ratio));
  const capRps = median(rounds.map((r) => r.capstan.requestsPerSecond));
  const bareRps = median(rounds.map((r) => r.bare.requestsPerSecond));
  const capP99 = median(rounds.map((r) => r.capstan.p99Ms));
  emitResult("heartbeat-ingest", [{
    // issue #16: with the SDK's body, >= 0.6 of bare node:http in the same run and p99 < 20 ms under that load
    name: "1. Heartbeat ingest (SDK body)", value: `${num(capRps)} req/s, p99 ${ms(capP99)}`, baseline: `bare node:http ${num(bareRps)} req/s, p99 ${ms(median(rounds.map((r) => r.bare.p99Ms)))}`,
    ratio: Number(ratio.toFixed(2)), target: "ratio >= 0.6, p99 < 20 ms", met: verdict(ratio >= 0.6 && capP99 < 20),
  }, {
    name: "1. Heartbeat ingest: server CPU per request", value: `${num(median(rounds.map((r) => r.capstan.cpuUsPerRequest)))} us`,
    baseline: `bare node:http ${num(median(rounds.map((r) => r.bare.cpuUsPerRequest)))} us`, ratio: Number(cpuRatio.toFixed(2)),
    target: "(reported; bare / capstan)", met: null,
  }]);
} finally {
  await Promise.all([bare.stop(), capstan.stop()]);
}
