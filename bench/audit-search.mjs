// Audit free-text search at 1,000,000 events (issue #16 point 5): p50/p95 of the admin API's
// `GET /api/admin/audit-events?q=` for q values of different selectivity, against the old scan (the
// same two statements without the index, run in-process on the same database) as the same-run
// baseline. Seeds a SQLite file through the migrated schema (the FTS5 triggers run on every insert).
// Run: node --import tsx bench/audit-search.mjs [events=1000000] [keep | <path of a kept database>]
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { openDb, sqliteHandle } from "../src/db/open.ts";
import { Where } from "../src/db/query.ts";
import { createUser } from "../src/domain/users.ts";
import { newId } from "../src/ids.ts";
import { createLogger } from "../src/log.ts";
import { startServer } from "../src/server.ts";
import { summarize } from "./lib/stats.mjs";

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const reuse = process.argv[3] && process.argv[3] !== "keep" ? process.argv[3] : null;
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const OLD_RUNS = Number(process.env.BENCH_OLD_RUNS ?? 5); // the old scan takes ~1 s a run
const dir = reuse ? dirname(reuse) : mkdtempSync(join(tmpdir(), "capstan-audit-search-"));
const dbFile = reuse ?? join(dir, "capstan.db");
const now = Date.now();

// the console-scale trail: 5 actions, 1,000 agents as actor and target, message "event <i>"
async function seed() {
  const db = sqliteHandle(await openDb(dbFile));
  const t0 = performance.now();
  const agents = Array.from({ length: 1000 }, () => newId("agt", now - 86_400_000));
  const actions = ["command.completed", "command.dispatched", "agent.heartbeat.received", "service.reported", "session.login.succeeded"];
  const insert = db.prepare(`INSERT INTO audit_events (id, created_at, actor_type, actor_id, action, target_type, target_id, result, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  for (let done = 0; done < EVENTS; done += 50_000) {
    db.transaction(() => {
      for (let i = done; i < Math.min(EVENTS, done + 50_000); i++) {
        const at = now - Math.floor(((EVENTS - i) / EVENTS) * 30 * 86_400_000);
        insert.run(newId("aud", at), new Date(at).toISOString(), i % 3 ? "AGENT" : "USER", agents[i % 1000], actions[i % 5], "Agent", agents[i % 1000], i % 50 ? "SUCCESS" : "FAILURE", `event ${i}`);
      }
    })();
  }
  db.exec("ANALYZE");
  db.close();
  return { ms: performance.now() - t0, agent: agents[7] };
}

const seeded = reuse ? { ms: 0, agent: null } : await seed();
const config = loadConfig({ CAPSTAN_PORT: "0", CAPSTAN_DATA_DIR: dir, CAPSTAN_LOG_LEVEL: "silent", CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "0", CAPSTAN_AUDIT_RETENTION_DAYS: "0" });
const server = await startServer({ config, log: createLogger({ level: "silent", format: "json" }) });
await createUser(server.app, { type: "SYSTEM", id: null }, { username: "bench", password: "bench-password-123", role: "owner" }).catch(() => undefined);
const login = await fetch(`${server.url}/api/admin/auth/login`, {
  method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "bench", password: "bench-password-123" }),
});
const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
const agent = seeded.agent ?? (await server.app.db.get("SELECT actor_id AS a FROM audit_events WHERE message = 'event 7'")).a;

// q values by selectivity (matches among 1,000,000): see the table printed at the end
const QUERIES = [
  ["zzz-absent", "none"], ["event 99999", "11 rows"], ["event 5000", "111 rows"], [agent, "one agent, 0.1 %"], ["event 77", "1.1 %"],
  ["event 1", "11 %, none among the newest 80 %"], ["heartbeat", "20 %"], ["command", "40 %"], ["ev", "< 3 chars, every row"],
];

async function timed(fn, runs = RUNS) {
  const samples = [];
  let last;
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    last = await fn();
    if (i >= 2) samples.push(performance.now() - t0);
  }
  return { ...summarize(samples), last };
}

// the old statements: the LIKE scan and an exact COUNT(*) (src/db/audit.ts before migration 010)
async function oldScan(q) {
  const w = new Where().search(["action", "message", "target_id", "actor_id"], q);
  const total = (await server.app.db.get(`SELECT COUNT(*) AS n FROM audit_events ${w.sql}`, w.params)).n;
  await server.app.db.all(`SELECT id FROM audit_events ${w.sql} ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET 0`, w.params);
  return total;
}

// the API first, back to back (an old scan between two requests outlasts the server's keep-alive)
const api = [];
for (const [q] of QUERIES) api.push(await timed(async () => (await (await fetch(`${server.url}/api/admin/audit-events?q=${encodeURIComponent(q)}`, { headers: { cookie } })).json()).pagination));
const rows = [];
for (const [i, [q, label]] of QUERIES.entries()) {
  const old = await timed(() => oldScan(q), OLD_RUNS);
  const a = api[i];
  rows.push({ q, label, total: `${a.last.total}${a.last.totalCapped ? "+" : ""}`, exact: old.last, p50: a.p50, p95: a.p95, oldP50: old.p50, oldP95: old.p95 });
}
const f = (v) => v.toFixed(1);
console.log(`${EVENTS.toLocaleString("en-US")} audit events, seeded in ${(seeded.ms / 1000).toFixed(1)} s; node ${process.version}; API: ${RUNS} runs per q, old scan: ${OLD_RUNS}, each after 2 warm-up; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
console.log("| q | selectivity | total (API) | exact matches | API p50 ms | API p95 ms | old scan p50 ms | old scan p95 ms |\n|---|---|---|---|---|---|---|---|");
for (const r of rows) console.log(`| \`${r.q}\` | ${r.label} | ${r.total} | ${r.exact} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.oldP50)} | ${f(r.oldP95)} |`);
await server.close();
if (process.argv[3] === "keep" || reuse) console.log(`kept ${dbFile}`);
else rmSync(dir, { recursive: true, force: true });
