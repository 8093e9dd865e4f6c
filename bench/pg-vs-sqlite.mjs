// Scale-out on PostgreSQL, each figure against a baseline measured in the same run:
//   A. heartbeat ingest (the SDK's body: serviceId + health) on PostgreSQL vs SQLite, one node each,
//      and two nodes vs one on the same PostgreSQL database (agents split between the nodes);
//   B. dispatch latency (execute -> the SDK agent's handler starts, and -> SUCCEEDED visible) with a
//      long-polling background fleet: SQLite, PostgreSQL one node, PostgreSQL two nodes with the
//      agent on node B and the operator on node A (the cross-node wake-up, LISTEN/NOTIFY);
//   C. a held fleet: 10,000 agents heartbeating every 3 s (the rate of 100,000 agents at the default
//      30 s) while each holds the SDK's long poll, on SQLite (one node) and PostgreSQL (two nodes):
//      errors (must be 0), achieved vs offered rate, latency. A request counts in the phase it was sent
//      in: one sent while the fleet connected that fails inside the window is the arrival's (reported).
// PostgreSQL: CAPSTAN_BENCH_PG_URL, or a throwaway cluster of its own (bench/lib/pg.mjs), stopped at the end.
// Run after `npm run build`: node bench/pg-vs-sqlite.mjs [ingest] [dispatch] [hold]
//   [--agents=10000] [--interval=3] [--window=60] [--engines=sqlite,postgres] [--pg-nodes=2]   (BENCH_SMOKE=1: seconds, 200 held agents)
import { readFile } from "node:fs/promises";
import { measureDispatch } from "./lib/dispatch.mjs";
import { startFleet } from "./lib/fleet.mjs";
import { loadPhase } from "./lib/load.mjs";
import { createDatabase, startPostgres } from "./lib/pg.mjs";
import { watchProcess } from "./lib/proc.mjs";
import { emitResult, SMOKE, verdict } from "./lib/report.mjs";
import { adminClient, startCapstan } from "./lib/server.mjs";
import { median, mb, ms, num, sleep, summarize, table } from "./lib/stats.mjs";
import { firstContact, heartbeatBody, registerFleet } from "./lib/wire.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? dflt);
const phases = args.filter((a) => !a.startsWith("--"));
const run = (p) => phases.length === 0 || phases.includes(p);

const INGEST = { agents: SMOKE ? 20 : 200, connections: 32, rounds: SMOKE ? 1 : 3, warmupMs: SMOKE ? 500 : 2000, durationMs: SMOKE ? 2000 : 10_000 };
const DISPATCH = { fleet: SMOKE ? 20 : 200, runs: SMOKE ? 8 : 50 };
const HOLD = {
  agents: opt("agents", SMOKE ? 200 : 10_000), intervalS: opt("interval", SMOKE ? 1 : 3), windowS: opt("window", SMOKE ? 3 : 60),
  processes: SMOKE ? 1 : 4, rampMs: SMOKE ? 500 : 10_000,
  // Keep-alive sockets for heartbeats per client process. Real SDK agents each keep their own: 10,000
  // agents are 10,000 heartbeat connections beside 10,000 parked polls, more than this machine's
  // open-file limit (20,000) lets one server hold. 32 per process made the client the limit: at a
  // 65 ms p50 under load, 128 sockets carry at most ~2,000 heartbeats/s of the 3,333 offered.
  heartbeatSockets: SMOKE ? 16 : 256,
};
/** Nodes of the PostgreSQL hold (--pg-nodes=1: is a second node on the same cores the limit?). */
const PG_HOLD_NODES = opt("pg-nodes", 2);
const figures = [];

const pg = await startPostgres();
console.log(`PostgreSQL: ${pg.own ? "own throwaway cluster" : "CAPSTAN_BENCH_PG_URL"}, ${pg.settings.version}, fsync=${pg.settings.fsync}, synchronous_commit=${pg.settings.synchronousCommit}, shared_buffers=${pg.settings.sharedBuffers}; SQLite: WAL, synchronous=NORMAL`);
let dbCount = 0;
const freshPgDb = () => createDatabase(pg.url, `capstan_bench_${process.pid}_${dbCount++}`);
const nodePids = (nodes) => () => [...nodes.map((n) => n.pid), ...pg.pids()];
const cpuLabel = pg.own ? "node(s) + PostgreSQL backends" : "node(s) only (PostgreSQL not ours to watch)";

try {
  if (run("ingest") || run("dispatch")) {
    const sqlite = await startCapstan({ databaseUrl: null });
    const pgUrl = await freshPgDb();
    const pgA = await startCapstan({ databaseUrl: pgUrl });
    const pgB = await startCapstan({ databaseUrl: pgUrl });
    try {
      const configs = [
        { name: "SQLite, 1 node", nodes: [sqlite], watch: [sqlite.pid], admin: await adminClient(sqlite.url) },
        { name: "PostgreSQL, 1 node", nodes: [pgA], watch: nodePids([pgA]), admin: await adminClient(pgA.url) },
      ];
      configs.push({ name: "PostgreSQL, 2 nodes", nodes: [pgA, pgB], watch: nodePids([pgA, pgB]), admin: configs[1].admin });
      const sqliteCreds = await registerFleet(sqlite.url, configs[0].admin, INGEST.agents + DISPATCH.fleet, { prefix: "pvs" });
      const pgCreds = await registerFleet(pgA.url, configs[1].admin, INGEST.agents + DISPATCH.fleet, { prefix: "pvs", urls: [pgA.url, pgB.url] });
      configs[0].creds = sqliteCreds;
      configs[1].creds = configs[2].creds = pgCreds;

      if (run("ingest")) {
        await firstContact([sqlite.url], sqliteCreds.slice(0, INGEST.agents));
        await firstContact([pgA.url], pgCreds.slice(0, INGEST.agents));
        await firstContact([pgA.url, pgB.url], pgCreds.slice(0, INGEST.agents));
        const rounds = [];
        for (let r = 0; r < INGEST.rounds; r++) {
          const round = [];
          for (const c of configs) {
            const targets = c.creds.slice(0, INGEST.agents).map((a) => ({ method: "POST", path: `/api/agents/${a.agentId}/heartbeat`, token: a.agentToken, body: heartbeatBody(a) }));
            const res = await loadPhase(c.nodes, targets, { ...INGEST, extraPids: c === configs[0] ? () => [] : pg.pids });
            if (res.failed) throw new Error(`${c.name}: non-200 heartbeats ${JSON.stringify(res.statuses)}`);
            round.push(res);
          }
          rounds.push(round);
        }
        console.log(`\nA. heartbeat ingest (SDK body: serviceId + health): ${INGEST.agents} agents, ${INGEST.connections} keep-alive connections in total, ${INGEST.durationMs / 1000} s per phase after ${INGEST.warmupMs / 1000} s warm-up; CPU = ${cpuLabel}`);
        console.log(table([
          ["round", ...configs.flatMap((c) => [`${c.name} req/s`, "p50", "p99", "CPU/req"])],
          ...rounds.map((round, i) => [i + 1, ...round.flatMap((x) => [num(x.requestsPerSecond), ms(x.p50Ms), ms(x.p99Ms), `${num(x.cpuUsPerRequest)} us`])]),
        ]));
        const med = (k, f) => median(rounds.map((round) => f(round[k])));
        const rps = (k) => med(k, (x) => x.requestsPerSecond);
        const cpu = (k) => med(k, (x) => x.cpuUsPerRequest);
        const lat = (k) => `p50 ${ms(med(k, (x) => x.p50Ms))}, p99 ${ms(med(k, (x) => x.p99Ms))}`;
        const ratio = (k, base) => Number(median(rounds.map((round) => round[k].requestsPerSecond / round[base].requestsPerSecond)).toFixed(2));
        figures.push(
          { name: "PG-1. Heartbeat ingest (SDK body), PostgreSQL 1 node", value: `${num(rps(1))} req/s (${lat(1)})`, baseline: `SQLite ${num(rps(0))} req/s (${lat(0)})`, ratio: ratio(1, 0), target: "(reported)", met: null },
          { name: "PG-1. Heartbeat CPU per request, PostgreSQL 1 node", value: `${num(cpu(1))} us`, baseline: `SQLite ${num(cpu(0))} us`, ratio: Number((cpu(1) / cpu(0)).toFixed(2)), target: "(reported)", met: null },
          { name: "PG-2. Heartbeat ingest, PostgreSQL 2 nodes", value: `${num(rps(2))} req/s (${lat(2)})`, baseline: `1 node ${num(rps(1))} req/s`, ratio: ratio(2, 1), target: "(reported; 2 cores)", met: null },
          { name: "PG-2. Heartbeat CPU per request, PostgreSQL 2 nodes", value: `${num(cpu(2))} us`, baseline: `1 node ${num(cpu(1))} us`, ratio: Number((cpu(2) / cpu(1)).toFixed(2)), target: "(reported)", met: null },
        );
      }

      if (run("dispatch")) {
        const results = [];
        for (const c of configs) {
          const two = c.nodes.length === 2;
          results.push(await measureDispatch({
            admin: c.admin, agentUrl: c.nodes.at(-1).url, fleetUrls: c.nodes.map((n) => n.url), fleetCreds: c.creds.slice(INGEST.agents),
            runs: DISPATCH.runs, watch: c.watch, smoke: SMOKE, code: `dispatch-${c.name.replace(/\W+/g, "-").toLowerCase()}`,
            // without cross-node wake-ups a run waits for the poll timeout (25 s): cap the time, not the figure
            budgetMs: two ? (SMOKE ? 10_000 : 90_000) : Infinity,
          }));
          if (two) results.at(-1).note = "agent on node B, execute on node A";
        }
        console.log(`\nB. dispatch: ${DISPATCH.fleet} background agents long-polling (split between the nodes) + 1 SDK agent; up to ${DISPATCH.runs} runs each after 3 warm-up (2 nodes: at most ${SMOKE ? 10 : 90} s)`);
        console.log(table([
          ["configuration", "runs", "to handler p50", "p95", "p99", "to SUCCEEDED p50", "p99", "CPU"],
          ...results.map((r, i) => [configs[i].name + (r.note ? ` (${r.note})` : ""), r.toStart.n, ms(r.toStart.p50), ms(r.toStart.p95), ms(r.toStart.p99), ms(r.roundTrip.p50), ms(r.roundTrip.p99), `${num(r.usage.cpuPercent, 1)} %`]),
        ]));
        const pair = (r) => `${ms(r.toStart.p50)} / ${ms(r.toStart.p99)}`;
        figures.push(
          { name: "PG-3. Dispatch execute -> handler (p50 / p99), PostgreSQL 1 node", value: pair(results[1]), baseline: `SQLite ${pair(results[0])}`, ratio: Number((results[1].toStart.p50 / results[0].toStart.p50).toFixed(2)), target: "(reported)", met: null },
          { name: "PG-3. Dispatch across nodes (p50 / p99), agent on B, execute on A", value: pair(results[2]), baseline: `1 node ${pair(results[1])}`, ratio: Number((results[2].toStart.p50 / results[1].toStart.p50).toFixed(2)), target: "p50 < 100 ms", met: verdict(results[2].toStart.p50 < 100) },
        );
      }
    } finally {
      await Promise.all([sqlite.stop(), pgA.stop(), pgB.stop()]);
    }
  }

  if (run("hold")) {
    const fdLimit = Number(/Max open files\s+(\d+)/.exec(await readFile("/proc/self/limits", "utf8").catch(() => ""))?.[1] ?? Infinity);
    if (fdLimit < HOLD.agents + 1_000) throw new Error(`open-file limit ${fdLimit} is below ${HOLD.agents + 1_000}: raise it (ulimit -n) or pass --agents=`);
    const held = [];
    const engines = (args.find((a) => a.startsWith("--engines="))?.split("=")[1] ?? "sqlite,postgres").split(",");
    for (const engine of engines) {
      const url = engine === "sqlite" ? null : await freshPgDb();
      const nodes = [];
      for (let i = 0; i < (engine === "sqlite" ? 1 : PG_HOLD_NODES); i++) nodes.push(await startCapstan({ databaseUrl: url }));
      try {
        held.push({ name: engine === "sqlite" ? "SQLite, 1 node" : `PostgreSQL, ${PG_HOLD_NODES} node${PG_HOLD_NODES === 1 ? "" : "s"}`, ...await hold(nodes, engine === "sqlite" ? () => [nodes[0].pid] : nodePids(nodes)) });
      } finally {
        await Promise.all(nodes.map((n) => n.stop()));
      }
    }
    const offered = HOLD.agents / HOLD.intervalS;
    console.log(`\nC. held fleet: ${num(HOLD.agents)} agents (${HOLD.processes} client processes, ${num(HOLD.processes * HOLD.heartbeatSockets)} heartbeat sockets), SDK heartbeat every ${HOLD.intervalS} s (offered ${num(offered)}/s) + the SDK's long poll each; ${HOLD.windowS} s window once every agent is ONLINE and one more cycle (fleet started with a ${HOLD.rampMs / 1000} s ramp)`);
    console.log(table([
      ["configuration", "registration", "all ONLINE after (failed requests sent meanwhile)", "heartbeats/s", "of offered", "p50", "p99", "max", "hb errors", "hb retried", "poll errors", "polls open", "poll answered after (p50 / max)", "CPU", "node peak RSS", "clients' CPU", "client loop delay p99 / max"],
      ...held.map((h) => [h.name, `${num(h.regPerS)}/s`, `${h.connected.online === HOLD.agents ? "" : `${num(h.connected.online)} ONLINE, not all, `}${num(h.connected.seconds, 1)} s (${h.before.errors})`, num(h.rate), `${num((100 * h.rate) / offered, 1)} %`, ms(h.latency.p50), ms(h.latency.p99), ms(h.latency.max),
        h.heartbeatErrors, h.heartbeatRetries, h.pollErrors, num(h.openPolls), `${ms(h.pollLatency.p50, 0)} / ${ms(h.pollLatency.max, 0)}`, `${num(h.usage.cpuPercent, 0)} %`, mb(h.nodeRss),
        `${num(h.clientCpuPercent, 0)} %`, `${ms(h.clientLoopDelayP99Ms, 0)} / ${ms(h.clientLoopDelayMaxMs, 0)}`]),
    ]));
    for (const h of held) {
      if (Object.keys(h.errorKinds).length) console.log(`${h.name} failed attempts in the window by kind (retried heartbeats included): ${JSON.stringify(h.errorKinds)}`);
      // requests sent while the fleet connected fail until up to 55 s later (a poll's timeout): the arrival's, counted there
      if (h.before.errors) console.log(`${h.name} failed attempts of requests sent before the window, by kind: ${JSON.stringify(h.before.errorKinds)}`);
    }
    const value = (h) => `${num(h.rate)}/s of ${num(offered)}, ${h.heartbeatErrors + h.pollErrors} errors, p99 ${ms(h.latency.p99)} (connecting: ${h.before.errors} failed)`;
    if (held.length === 2 && PG_HOLD_NODES === 2) figures.push({ // the figure compares both engines; --engines= runs one for diagnosis
      name: `PG-4. ${num(HOLD.agents)} agents @ ${HOLD.intervalS} s held, PostgreSQL 2 nodes`, value: value(held[1]), baseline: `SQLite 1 node ${value(held[0])}`,
      ratio: Number((held[1].rate / held[0].rate).toFixed(2)), target: "0 errors, >= 99 % of offered",
      met: verdict(held[1].heartbeatErrors + held[1].pollErrors === 0 && held[1].rate >= 0.99 * offered),
    });
  }
} finally {
  await pg.stop();
}
emitResult("pg-vs-sqlite", figures);

/**
 * Waits until `count` agents are ONLINE (an admin read flushes buffered contacts first), at most
 * `limitMs`; returns the seconds waited and the agents by status at the end (a fleet that never
 * fully connects is reported, not hidden).
 */
async function allOnline(base, admin, count, limitMs) {
  const t0 = performance.now();
  let summary;
  for (;;) {
    // a failed read (a 503 while the pool is busy) keeps the last answer and says why
    const read = await admin("GET", "/api/admin/dashboard/summary").then((data) => ({ data }), (err) => ({ error: String(err?.message ?? err) }));
    if (read.data) summary = read.data;
    const online = summary?.agentCounts?.ONLINE;
    const waited = performance.now() - t0;
    if (online === count || waited > limitMs) {
      return { seconds: waited / 1000, online, byStatus: summary?.agentCounts ?? `no summary read: ${read.error}`, lastError: read.error };
    }
    await sleep(1000);
  }
}

/** Registers HOLD.agents through the nodes, starts the fleet, waits until every agent is ONLINE and one more cycle, measures a window. */
async function hold(nodes, watchPids) {
  const admin = await adminClient(nodes[0].url);
  const t0 = performance.now();
  const creds = await registerFleet(nodes[0].url, admin, HOLD.agents, { prefix: "held", urls: nodes.map((n) => n.url) });
  const regPerS = HOLD.agents / ((performance.now() - t0) / 1000);
  const fleet = await startFleet(nodes.map((n) => n.url), creds, {
    processes: HOLD.processes, poll: "long", heartbeatIntervalMs: HOLD.intervalS * 1000, rampMs: HOLD.rampMs, heartbeatSockets: HOLD.heartbeatSockets,
  });
  try {
    // The window measures the held fleet, not its arrival: every agent's first contact is a write
    // (PENDING -> ONLINE, its audit sample), 10,000 of them within the ramp. Wait until every agent is
    // ONLINE (the connect phase, reported on its own), then one more interval, then record.
    const connected = await allOnline(nodes[0].url, admin, HOLD.agents, HOLD.rampMs + 120_000);
    if (connected.online !== HOLD.agents) console.log(`not every agent ONLINE after ${num(connected.seconds, 0)} s: ${JSON.stringify(connected.byStatus)}${connected.lastError ? ` (the last summary read failed: ${connected.lastError})` : ""}`);
    await sleep(HOLD.intervalS * 1000);
    fleet.record();
    const watch = watchProcess(watchPids);
    const nodeWatch = nodes.map((n) => watchProcess(n.pid));
    const w0 = performance.now();
    await sleep(HOLD.windowS * 1000);
    const r = await fleet.report();
    const seconds = (performance.now() - w0) / 1000;
    return {
      ...r, regPerS, connected, usage: watch.stop(), nodeRss: Math.max(...nodeWatch.map((w) => w.stop().peakRssBytes)),
      clientCpuPercent: r.clientCpuMs / seconds / 10,
      rate: r.heartbeatMs.length / seconds, latency: summarize(r.heartbeatMs), pollLatency: summarize(r.pollMs),
    };
  } finally {
    await fleet.stop();
  }
}
