// Audit free-text search at 1,000,000 events on PostgreSQL (issue #16 point 5): the same trail as
// bench/audit-search.mjs generated in SQL, the old statements (LIKE scan + exact COUNT) timed before the
// pg_trgm index exists, the index of migration 017 built (its backfill time is what migration 017 costs
// such a database) and the BRIN of 018 summarised, then listAuditEvents timed in-process.
// A throwaway cluster of our own (bench/lib/pg.mjs; CAPSTAN_PG_STATE, default /tmp/pg-bench) or
// CAPSTAN_BENCH_PG_URL. Run: node --import tsx bench/audit-search-pg.mjs [events=1000000]
import { loadavg } from "node:os";
import { listAuditEvents } from "../src/db/audit.ts";
import { AUDIT_SEARCH_TEXT } from "../src/db/dialect.ts";
import { openPostgres } from "../src/db/postgres.ts";
import { migratePostgres } from "../src/db/pgMigrate.ts";
import { Where } from "../src/db/query.ts";
import { createDatabase, startPostgres } from "./lib/pg.mjs";
import { summarize } from "./lib/stats.mjs";

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const OLD_RUNS = Number(process.env.BENCH_OLD_RUNS ?? 5);

const pgServer = await startPostgres();
try {
  const db = await openPostgres(await createDatabase(pgServer.url, "capstan_audit_search"), { poolSize: 2 });
  await migratePostgres(db);
  await db.exec("DROP INDEX audit_search");
  let t0 = performance.now();
  // the bench/audit-search.mjs trail: 5 actions, 1,000 agents (ids sharing a prefix), "event <i>"
  await db.exec(`INSERT INTO audit_events (id, created_at, actor_type, actor_id, action, target_type, target_id, result, message)
    SELECT 'aud_' || lpad(i::text, 26, '0'),
      to_char((now() - ((${EVENTS} - i)::float8 / ${EVENTS}) * interval '30 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      CASE WHEN i % 3 = 0 THEN 'USER' ELSE 'AGENT' END, 'agt_01M8MVWEGT0YM9CDN1BZVH' || lpad((i % 1000)::text, 4, '0'),
      (ARRAY['command.completed','command.dispatched','agent.heartbeat.received','service.reported','session.login.succeeded'])[i % 5 + 1],
      'Agent', 'agt_01M8MVWEGT0YM9CDN1BZVH' || lpad((i % 1000)::text, 4, '0'), CASE WHEN i % 50 = 0 THEN 'FAILURE' ELSE 'SUCCESS' END, 'event ' || i
    FROM generate_series(0, ${EVENTS - 1}) AS i`);
  await db.exec("ANALYZE audit_events");
  const seedMs = performance.now() - t0;

  const QUERIES = [
    ["zzz-absent", "none"], ["event 99999", "11 rows"], ["event 5000", "111 rows"], ["agt_01M8MVWEGT0YM9CDN1BZVH0007", "one agent, 0.1 %"],
    ["event 77", "1.1 %"], ["event 1", "11 %, none among the newest 80 %"], ["heartbeat", "20 %"], ["command", "40 %"], ["ev", "< 3 chars, every row"],
  ];
  const timed = async (fn, runs) => {
    const samples = [];
    let last;
    for (let i = 0; i < runs + 2; i++) {
      const s = performance.now();
      last = await fn();
      if (i >= 2) samples.push(performance.now() - s);
    }
    return { ...summarize(samples), last };
  };
  const oldScan = async (q) => {
    const w = new Where().search(["action", "message", "target_id", "actor_id"], q);
    const total = (await db.get(`SELECT COUNT(*) AS n FROM audit_events ${w.sql}`, w.params)).n;
    await db.all(`SELECT id FROM audit_events ${w.sql} ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET 0`, w.params);
    return total;
  };
  const old = [];
  for (const [q] of QUERIES) old.push(await timed(() => oldScan(q), OLD_RUNS));
  t0 = performance.now();
  await db.exec(`CREATE INDEX audit_search ON audit_events USING gin (${AUDIT_SEARCH_TEXT} gin_trgm_ops)`);
  // migration 018's BRIN, created on the empty table, summarises block ranges as they fill; after one
  // bulk insert that is left to autovacuum, which a trail grown over time has long done: done here
  await db.exec("SELECT brin_summarize_new_values('audit_created_brin')");
  await db.exec("ANALYZE audit_events");
  const indexMs = performance.now() - t0;
  const NEWEST = [{ field: "createdAt", desc: true }];
  const rows = [];
  for (const [i, [q, label]] of QUERIES.entries()) {
    const r = await timed(() => listAuditEvents(db, { q }, NEWEST, 1, 50), RUNS);
    rows.push({ q, label, total: `${r.last.total}${r.last.totalCapped ? "+" : ""}`, exact: old[i].last, p50: r.p50, p95: r.p95, oldP50: old[i].p50, oldP95: old[i].p95 });
  }
  const f = (v) => v.toFixed(1);
  console.log(`${pgServer.settings.version}, ${EVENTS.toLocaleString("en-US")} audit events generated in ${(seedMs / 1000).toFixed(1)} s; the pg_trgm index built in ${(indexMs / 1000).toFixed(1)} s; list (count + page 1 of 50) in-process: ${RUNS} runs per q, old scan ${OLD_RUNS}, each after 2 warm-up; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log("| q | selectivity | total | exact matches | p50 ms | p95 ms | old scan p50 ms | old scan p95 ms |\n|---|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(`| \`${r.q}\` | ${r.label} | ${r.total} | ${r.exact} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.oldP50)} | ${f(r.oldP95)} |`);
  await db.close();
} finally {
  await pgServer.stop();
}
