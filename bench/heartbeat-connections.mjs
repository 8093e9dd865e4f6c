// What a connection costs the server per SDK heartbeat. The SDK's fetch (undici) keeps an idle socket
// for the server's `Keep-Alive: timeout` hint minus 2 s: with Node's default 5 s hint, an agent that
// heartbeats every 30 s opened a new connection for every heartbeat; with Capstan's 65 s hint it
// reuses one. Rounds alternate: 16 closed-loop clients send the SDK's heartbeat (200 agents) either
// on kept connections (the baseline) or each on a new connection, closed after the answer; server
// CPU per heartbeat from /proc. Run after `npm run build`: node bench/heartbeat-connections.mjs
import { connect } from "node:net";
import { requestBytes } from "./lib/rawClient.mjs";
import { watchProcess } from "./lib/proc.mjs";
import { emitResult, SMOKE } from "./lib/report.mjs";
import { adminClient, startCapstan } from "./lib/server.mjs";
import { median, num, table } from "./lib/stats.mjs";
import { firstContact, heartbeatBody, registerFleet } from "./lib/wire.mjs";

const AGENTS = SMOKE ? 20 : 200;
const CLIENTS = 16;
const ROUNDS = SMOKE ? 1 : 3;
const DURATION_MS = SMOKE ? 1500 : 8000;

/** One request on `socket`, resolved with the status once the whole answer (Content-Length) is read. */
function exchange(socket, bytes) {
  return new Promise((resolve, reject) => {
    let buf = "";
    const onData = (d) => {
      buf += d.toString("latin1");
      const end = buf.indexOf("\r\n\r\n");
      const len = end < 0 ? null : /\r\ncontent-length: *(\d+)/i.exec(buf.slice(0, end));
      if (!len || buf.length < end + 4 + Number(len[1])) return;
      socket.off("data", onData);
      socket.off("error", reject);
      resolve(Number(buf.slice(9, 12)));
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.write(bytes);
  });
}

async function round(server, requests, mode) {
  let done = 0;
  let failed = 0;
  const end = performance.now() + DURATION_MS;
  const watch = watchProcess(server.pid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async (_, k) => {
    let socket;
    for (let i = k; performance.now() < end; i += CLIENTS) {
      if (!socket || mode === "new") {
        socket?.destroy();
        socket = connect({ port: server.port, host: "127.0.0.1", noDelay: true });
      }
      if ((await exchange(socket, requests[i % requests.length])) === 200) done++;
      else failed++;
    }
    socket?.destroy();
  }));
  const seconds = (performance.now() - t0) / 1000;
  const usage = watch.stop();
  if (failed) throw new Error(`${failed} heartbeats answered other than 200 (${mode})`);
  return { perSecond: done / seconds, cpuUs: ((usage.cpuPercent / 100) * seconds * 1e6) / done };
}

const server = await startCapstan();
try {
  const admin = await adminClient(server.url);
  const creds = await registerFleet(server.url, admin, AGENTS, { prefix: "conn" });
  await firstContact([server.url], creds);
  const host = `127.0.0.1:${server.port}`;
  const requests = creds.map((c) => requestBytes(host, "POST", `/api/agents/${c.agentId}/heartbeat`, { token: c.agentToken, body: heartbeatBody(c) }));
  const rows = [];
  for (let r = 0; r < ROUNDS; r++) rows.push({ kept: await round(server, requests, "kept"), fresh: await round(server, requests, "new") });
  const ratio = median(rows.map((r) => r.fresh.cpuUs / r.kept.cpuUs));
  console.log(`\nSDK heartbeat (${AGENTS} agents, ${CLIENTS} closed-loop clients, ${DURATION_MS / 1000} s rounds): kept connections vs a new connection per heartbeat`);
  console.log(table([
    ["round", "kept: heartbeats/s", "kept: server CPU per heartbeat", "new: heartbeats/s", "new: server CPU per heartbeat", "CPU ratio"],
    ...rows.map((r, i) => [i + 1, num(r.kept.perSecond), `${num(r.kept.cpuUs)} µs`, num(r.fresh.perSecond), `${num(r.fresh.cpuUs)} µs`, num(r.fresh.cpuUs / r.kept.cpuUs, 2)]),
  ]));
  emitResult("heartbeat-connections", [{
    name: "server CPU per SDK heartbeat on a new connection", value: `${num(median(rows.map((r) => r.fresh.cpuUs)))} µs`,
    baseline: `kept connection ${num(median(rows.map((r) => r.kept.cpuUs)))} µs`, ratio: Number(ratio.toFixed(2)), target: "(reported)", met: null,
  }]);
} finally {
  await server.stop();
}
