// Command delivery as an operator sees it: a background fleet of lean agents holds polls while one
// real SDK agent (sdk/dist/index.mjs) with one action is measured, from sending the execute request
// (admin API) to the handler starting, and to SUCCEEDED being visible in the admin API. The agent
// and the operator may talk to different nodes of one installation (the cross-node wake-up).
import { CapsuleAgent, MemoryTokenStore } from "../../sdk/dist/index.mjs";
import { startFleet } from "./fleet.mjs";
import { watchProcess } from "./proc.mjs";
import { sleep, summarize } from "./stats.mjs";

const WARMUP_RUNS = 3;
const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };

/**
 * admin: adminClient of the node the operator uses; agentUrl: the node the SDK agent talks to;
 * fleetUrls/fleetCreds: the background agents (split between nodes); watch: pid(s) or a function
 * listing them, whose CPU is reported. `budgetMs` caps the time spent (warm-up included): past it
 * the warm-up is skipped and no further run starts, but one run is always measured, so a delivery
 * that waits for a poll timeout shows as such without taking `runs` times that. Returns
 * { toStart, roundTrip, usage }.
 */
export async function measureDispatch({
  admin, agentUrl, fleetUrls, fleetCreds, longPoll = true, runs, pollIntervalS = 5, watch, smoke = false, code = "dispatch", budgetMs = Infinity,
}) {
  const fleet = await startFleet(fleetUrls, fleetCreds, {
    processes: smoke ? 1 : 2, poll: longPoll ? "long" : "interval", pollIntervalMs: pollIntervalS * 1000,
    heartbeatIntervalMs: 30_000, rampMs: smoke ? 300 : 2_000,
  });
  const reg = await admin("POST", "/api/admin/registration-tokens", { name: `${code} ${longPoll ? "long" : "interval"}` });
  let onStart = () => {};
  const agent = new CapsuleAgent({
    backendUrl: agentUrl, registrationToken: reg.rawToken, tokenStore: new MemoryTokenStore(),
    agent: { code: `${code}-${longPoll ? "long-poll" : "interval-poll"}` }, longPoll, logger: quiet,
  });
  agent.action({ name: "ping", label: "Ping", handler: () => onStart(performance.now()) });
  await agent.start();
  await sleep(smoke ? 500 : 2_500); // the fleet's polls are parked (or cycling) before the first run
  const watcher = watchProcess(watch);
  const toStart = [];
  const roundTrip = [];
  const tBegin = performance.now();
  try {
    for (let i = 0; i < runs + WARMUP_RUNS; i++) {
      if (performance.now() - tBegin > budgetMs) {
        if (i > WARMUP_RUNS) break;
        i = WARMUP_RUNS;
      }
      const started = new Promise((r) => (onStart = r));
      const t0 = performance.now();
      const cmd = await admin("POST", `/api/admin/capsule-services/${agent.serviceId}/actions/ping`, { payload: {} });
      const tStart = await started;
      // "Visible to the admin API": read the command back until it is SUCCEEDED, one request at a time.
      let status = "";
      while (status !== "SUCCEEDED") {
        status = (await admin("GET", `/api/admin/commands/${cmd.id}`)).status;
        if (status === "FAILED" || status === "EXPIRED" || status === "CANCELLED") throw new Error(`command ended ${status}`);
      }
      const tDone = performance.now();
      if (i >= WARMUP_RUNS) {
        toStart.push(tStart - t0);
        roundTrip.push(tDone - t0);
      }
      // Vary the phase against the poll cycle: uniform over one interval for interval polling.
      await sleep(20 + Math.random() * (longPoll ? 50 : pollIntervalS * 1000));
    }
  } finally {
    await agent.stop();
    await fleet.stop();
  }
  return { usage: watcher.stop(), toStart: summarize(toStart), roundTrip: summarize(roundTrip) };
}
