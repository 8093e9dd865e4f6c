// Figures 3 and 4, command delivery under load: with 1,000 simulated agents long-polling the same
// server, the time from the operator's execute request (admin API) to the action handler starting in
// a real SDK agent (sdk/dist/index.mjs), and to SUCCEEDED being visible in the admin API. Measured
// beside the reference design in the same run: every agent polling on the 5 s interval, no long poll.
// bench/sdk-dispatch.mjs is the single-agent version of figure 3 (no background fleet).
// Run after `npm run build`: node bench/dispatch.mjs   (BENCH_SMOKE=1 for a short run)
import { measureDispatch } from "./lib/dispatch.mjs";
import { emitResult, SMOKE, verdict } from "./lib/report.mjs";
import { adminClient, startCapstan } from "./lib/server.mjs";
import { ms, num, summarize, table } from "./lib/stats.mjs";
import { registerFleet } from "./lib/wire.mjs";

const FLEET = SMOKE ? 50 : 1_000;
const RUNS = SMOKE ? 10 : 100;
const RUNS_INTERVAL = SMOKE ? 3 : 20;
// The reference design polls every 5 s; the smoke run shortens it so it stays within seconds.
const POLL_INTERVAL_S = SMOKE ? 1 : 5;

const server = await startCapstan({ env: { CAPSTAN_COMMAND_POLL_INTERVAL_SECONDS: String(POLL_INTERVAL_S) } });
try {
  const admin = await adminClient(server.url);
  const fleetCreds = await registerFleet(server.url, admin, FLEET, { prefix: "dispatch-fleet" });

  const measure = async (longPoll, runs) => ({
    mode: longPoll ? "long poll" : `interval poll (${POLL_INTERVAL_S} s)`,
    ...await measureDispatch({
      admin, agentUrl: server.url, fleetUrls: server.url, fleetCreds, longPoll, runs, pollIntervalS: POLL_INTERVAL_S, watch: server.pid, smoke: SMOKE,
    }),
  });

  const long = await measure(true, RUNS);
  const interval = await measure(false, RUNS_INTERVAL);
  // The floor: one HTTP request/answer on this machine right now.
  const floor = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await (await fetch(`${server.url}/healthz`)).text();
    floor.push(performance.now() - t0);
  }
  const floorP50 = summarize(floor.slice(5)).p50;

  console.log(`dispatch: ${num(FLEET)} background agents (lean clients, registered through the API) + 1 SDK agent; server CPU over each phase`);
  console.log(table([
    ["mode", "runs", "to handler p50", "p95", "p99", "to SUCCEEDED p50", "p99", "server CPU"],
    ...[long, interval].map((r) => [r.mode, r.toStart.n, ms(r.toStart.p50), ms(r.toStart.p95), ms(r.toStart.p99), ms(r.roundTrip.p50), ms(r.roundTrip.p99), `${num(r.usage.cpuPercent, 1)} %`]),
  ]));
  console.log(`HTTP floor (GET /healthz from this process): p50 ${ms(floorP50, 2)}`);
  emitResult("dispatch", [
    {
      name: `3. Dispatch latency, ${num(FLEET)} agents long-polling (p50 / p99)`, value: `${ms(long.toStart.p50)} / ${ms(long.toStart.p99)}`,
      baseline: `interval poll ${ms(interval.toStart.p50, 0)} / ${ms(interval.toStart.p99, 0)}`, ratio: Number((interval.toStart.p50 / long.toStart.p50).toFixed(0)),
      target: "p50 < 10 ms, p99 < 50 ms", met: verdict(long.toStart.p50 < 10 && long.toStart.p99 < 50),
    },
    {
      name: "4. Round trip execute -> SUCCEEDED (p50 / p99)", value: `${ms(long.roundTrip.p50)} / ${ms(long.roundTrip.p99)}`,
      baseline: `interval poll ${ms(interval.roundTrip.p50, 0)} / ${ms(interval.roundTrip.p99, 0)}`, ratio: Number((interval.roundTrip.p50 / long.roundTrip.p50).toFixed(0)),
      target: "(reported)", met: null,
    },
  ]);
} finally {
  await server.stop();
}
