// A child process that plays many lean agents (bench/lib/wire.mjs bodies over bench/lib/rawClient.mjs): each holds a long poll (or polls
// on an interval) and heartbeats on its own random phase, with the SDK's bodies (health on every
// heartbeat, its poll query). Driven by its parent over IPC:
//   {type:"start", urls, creds, poll:"long"|"interval"|"none", pollIntervalMs, heartbeatIntervalMs, rampMs,
//    heartbeatSockets?}   agent i talks to urls[i % urls.length] (several nodes: agents split between them)
//   {type:"record"}  drop the samples so far and start a measurement window
//   {type:"report"}  answer {type:"report", heartbeatMs[], pollMs[], heartbeatErrors, heartbeatRetries, polls, pollErrors, openPolls, errorKinds,
//                    before: {errors, errorKinds}, loopDelayP99Ms, loopDelayMaxMs, cpuMs}  (this worker's own event-loop delay and CPU in the window:
//                    a saturated client makes its latencies and timeouts its own, not the server's)
// A request belongs to the phase it was sent in: a failure of a request sent before the window opened
// (a poll sent while the fleet connected, timing out 55 s later inside the window) is counted in
// `before` with its kind, not as an error of the window; so is its latency sample. The window's
// figures are what the fleet saw of requests sent while it was held.
// Failures are handled as the SDK handles them (sdk/src/http.ts, heartbeat.ts, commandLoop.ts): a
// heartbeat times out after 10 s and a network error, timeout, 408, 429 or 5xx is retried twice
// (0.5 s, 1 s, jittered); a heartbeat that still fails is an error the agent sees. A poll times out
// after its 25 s wait + 30 s and, failed, is tried again after the SDK's backoff (1 s base, full
// jitter). Each failed attempt is counted by kind; retried heartbeat attempts separately.
//   {type:"stop"}    end every loop and exit
import { monitorEventLoopDelay } from "node:perf_hooks";
import { rawClient, requestBytes } from "./lib/rawClient.mjs";
import { heartbeatBody, resultBody, SDK_LONG_POLL_TIMEOUT_MS, SDK_POLL_QUERY, SDK_REQUEST_TIMEOUT_MS } from "./lib/wire.mjs";

let stopped = false;
// No AbortSignal on the requests: one signal shared by thousands of requests in flight makes every
// request's end walk its listener list, client work the figure should not include. "stop" exits the
// process, which ends every request anyway.
const stats = { heartbeatMs: [], pollMs: [], heartbeatErrors: 0, heartbeatRetries: 0, polls: 0, pollErrors: 0, openPolls: 0, errorKinds: {} };
/** Failures of requests sent before the window opened (all failures until the first record). */
const before = { errors: 0, errorKinds: {} };
/** When the window opened (performance.now()); requests sent earlier belong to `before`. */
let windowStart = Infinity;
const sentBefore = (t0) => t0 < windowStart;
// the SDK's defaults (sdk/src/options.ts): backoff base and cap, heartbeat retries
const HEARTBEAT_RETRIES = 2;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
/** What the SDK retries (sdk/src/http.ts): network errors and timeouts (no status), 408, 429, 5xx. */
const retryable = (status) => status === undefined || status === 408 || status === 429 || status >= 500;
/** Counts an error by kind ("heartbeat 503", "poll ECONNRESET") in the phase its request was sent in, so a report says what failed. */
const noteError = (what, err, t0) => {
  const kind = `${what} ${err?.status ?? err?.code ?? err?.message ?? "error"}`;
  const kinds = sentBefore(t0) ? before.errorKinds : stats.errorKinds;
  kinds[kind] = (kinds[kind] ?? 0) + 1;
};
/** A request that failed for good, counted in the phase it was sent in: `before`, or the window's `windowCount`. */
const countFailed = (t0, windowCount) => {
  if (sentBefore(t0)) before.errors++;
  else stats[windowCount]++;
};
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let cpuAtRecord = process.cpuUsage();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms).unref?.());

async function pollLoop(call, a, opts) {
  const path = `/api/agents/${a.agentId}/commands?${opts.poll === "long" ? SDK_POLL_QUERY : "limit=1"}`;
  await sleep(Math.random() * (opts.poll === "long" ? opts.rampMs : opts.pollIntervalMs));
  const timeoutMs = opts.poll === "long" ? SDK_LONG_POLL_TIMEOUT_MS : SDK_REQUEST_TIMEOUT_MS;
  let failures = 0;
  while (!stopped) {
    const t0 = performance.now();
    stats.openPolls++;
    try {
      const res = await call("GET", path, { token: a.agentToken, timeoutMs });
      if (!sentBefore(t0)) {
        stats.polls++;
        stats.pollMs.push(res.ms);
      }
      if (res.status !== 200) throw Object.assign(new Error(`poll ${res.status}`), { status: res.status });
      // Background agents have no actions; a command that reaches them is closed at once.
      for (const c of res.json.data) {
        await call("POST", `/api/agents/${a.agentId}/commands/${c.id}/result`, { token: a.agentToken, body: resultBody(), timeoutMs: SDK_REQUEST_TIMEOUT_MS });
      }
      failures = 0;
    } catch (err) {
      if (stopped) return;
      countFailed(t0, "pollErrors");
      noteError("poll", err, t0);
      // the SDK's Backoff: full jitter under a doubling ceiling
      await sleep(Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** failures++));
    } finally {
      stats.openPolls--;
    }
    if (opts.poll === "interval") await sleep(Math.max(0, opts.pollIntervalMs - (performance.now() - t0)));
  }
}

async function heartbeatLoop(call, a, opts) {
  await sleep(Math.random() * opts.heartbeatIntervalMs);
  const path = `/api/agents/${a.agentId}/heartbeat`;
  // the same bytes every time, as the SDK's heartbeat is the same request every time
  const bytes = requestBytes(call.host, "POST", path, { token: a.agentToken, body: heartbeatBody(a) });
  while (!stopped) {
    const t0 = performance.now();
    for (let attempt = 0; !stopped; attempt++) {
      let failure;
      try {
        const res = await call("POST", path, { bytes, timeoutMs: SDK_REQUEST_TIMEOUT_MS });
        if (res.status === 200) {
          if (!sentBefore(t0)) stats.heartbeatMs.push(res.ms);
          break;
        }
        failure = { status: res.status };
      } catch (err) {
        failure = err;
      }
      if (stopped) return;
      // a heartbeat and its retries belong to the phase its first attempt was sent in
      noteError("heartbeat", failure, t0);
      if (attempt >= HEARTBEAT_RETRIES || !retryable(failure.status)) {
        countFailed(t0, "heartbeatErrors");
        break;
      }
      if (!sentBefore(t0)) stats.heartbeatRetries++;
      await sleep(Math.min(8_000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.25));
    }
    await sleep(Math.max(0, opts.heartbeatIntervalMs - (performance.now() - t0)));
  }
}

process.on("message", (msg) => {
  if (msg.type === "start") {
    const pollCalls = msg.urls.map((u) => rawClient(u, { maxSockets: Infinity }));
    const hbCalls = msg.urls.map((u) => rawClient(u, { maxSockets: msg.heartbeatSockets ?? 16 }));
    msg.creds.forEach((a, i) => {
      if (msg.poll !== "none") pollLoop(pollCalls[i % pollCalls.length], a, msg);
      if (msg.heartbeatIntervalMs > 0) heartbeatLoop(hbCalls[i % hbCalls.length], a, msg);
    });
    process.send({ type: "started" });
  } else if (msg.type === "record") {
    Object.assign(stats, { heartbeatMs: [], pollMs: [], heartbeatErrors: 0, heartbeatRetries: 0, polls: 0, pollErrors: 0, errorKinds: {} });
    windowStart = performance.now();
    loopDelay.reset();
    cpuAtRecord = process.cpuUsage();
  } else if (msg.type === "report") {
    const cpu = process.cpuUsage(cpuAtRecord);
    process.send({ type: "report", ...stats, before, loopDelayP99Ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6, cpuMs: (cpu.user + cpu.system) / 1000 });
  } else if (msg.type === "stop") {
    stopped = true;
    setTimeout(() => process.exit(0), 50);
  }
});
