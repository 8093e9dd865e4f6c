// A child process that plays many lean agents (bench/lib/wire.mjs bodies over bench/lib/rawClient.mjs): each holds a long poll (or polls
// on an interval) and heartbeats on its own random phase, with the SDK's bodies (health on every
// heartbeat, its poll query). Driven by its parent over IPC:
//   {type:"start", urls, creds, poll:"long"|"interval"|"none", pollIntervalMs, heartbeatIntervalMs, rampMs,
//    heartbeatSockets?}   agent i talks to urls[i % urls.length] (several nodes: agents split between them)
//   {type:"record"}  drop the samples so far and start a measurement window
//   {type:"report"}  answer {type:"report", heartbeatMs[], pollMs[], heartbeatErrors, polls, pollErrors, openPolls, errorKinds}
//   {type:"stop"}    end every loop and exit
import { rawClient, requestBytes } from "./lib/rawClient.mjs";
import { heartbeatBody, resultBody, SDK_POLL_QUERY } from "./lib/wire.mjs";

let stopped = false;
// No AbortSignal on the requests: one signal shared by thousands of requests in flight makes every
// request's end walk its listener list, client work the figure should not include. "stop" exits the
// process, which ends every request anyway.
const stats = { heartbeatMs: [], pollMs: [], heartbeatErrors: 0, polls: 0, pollErrors: 0, openPolls: 0, errorKinds: {} };
/** Counts an error by kind ("heartbeat 503", "poll ECONNRESET"), so a report says what failed. */
const noteError = (what, err) => {
  const kind = `${what} ${err?.status ?? err?.code ?? err?.message ?? "error"}`;
  stats.errorKinds[kind] = (stats.errorKinds[kind] ?? 0) + 1;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms).unref?.());

async function pollLoop(call, a, opts) {
  const path = `/api/agents/${a.agentId}/commands?${opts.poll === "long" ? SDK_POLL_QUERY : "limit=1"}`;
  await sleep(Math.random() * (opts.poll === "long" ? opts.rampMs : opts.pollIntervalMs));
  while (!stopped) {
    const t0 = performance.now();
    stats.openPolls++;
    try {
      const res = await call("GET", path, { token: a.agentToken });
      stats.polls++;
      stats.pollMs.push(res.ms);
      if (res.status !== 200) throw Object.assign(new Error(`poll ${res.status}`), { status: res.status });
      // Background agents have no actions; a command that reaches them is closed at once.
      for (const c of res.json.data) {
        await call("POST", `/api/agents/${a.agentId}/commands/${c.id}/result`, { token: a.agentToken, body: resultBody() });
      }
    } catch (err) {
      if (stopped) return;
      stats.pollErrors++;
      noteError("poll", err);
      await sleep(1000);
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
    try {
      const res = await call("POST", path, { bytes });
      if (res.status === 200) stats.heartbeatMs.push(res.ms);
      else {
        stats.heartbeatErrors++;
        noteError("heartbeat", { status: res.status });
      }
    } catch (err) {
      if (stopped) return;
      stats.heartbeatErrors++;
      noteError("heartbeat", err);
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
    Object.assign(stats, { heartbeatMs: [], pollMs: [], heartbeatErrors: 0, polls: 0, pollErrors: 0, errorKinds: {} });
  } else if (msg.type === "report") {
    process.send({ type: "report", ...stats });
  } else if (msg.type === "stop") {
    stopped = true;
    setTimeout(() => process.exit(0), 50);
  }
});
