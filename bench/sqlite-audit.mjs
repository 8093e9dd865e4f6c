// Figure 7, the SQLite limit: audit-shaped rows inserted with a bare better-sqlite3 prepared statement
// (one row per transaction, values precomputed) against the application's audit path (a transaction
// around writeAudit: id, clock, redaction, JSON, counters), on the same schema, pragmas and disk.
// Rounds alternate raw/app on fresh files; the ratio is the median over rounds. Batched runs of both
// (1,000 rows per transaction) take the commit out and leave the writer's own CPU cost per row.
// Run: node --import tsx bench/sqlite-audit.mjs   (BENCH_SMOKE=1 for a short run)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, sqliteHandle } from "../src/db/open.ts";
import { writeAudit } from "../src/domain/audit.ts";
import { createRuntime } from "../src/runtime.ts";
import { emitResult, SMOKE } from "./lib/report.mjs";
import { median, num, table } from "./lib/stats.mjs";

const ROUNDS = SMOKE ? 1 : 3;
const RUN_MS = SMOKE ? 500 : 3_000;
const dir = mkdtempSync(join(tmpdir(), "capstan-sqlite-bench-"));
let fileNo = 0;
const freshDb = () => openDb(join(dir, `audit-${fileNo++}.db`));
const freshRaw = async () => sqliteHandle(await freshDb());

// What a typical event carries: an agent actor, a command target, a small metadata object.
const AGENT_ID = "agt_01JB0000000000000000000000";
const COMMAND_ID = "cmd_01JB0000000000000000000000";
const METADATA = { actionName: "restart-worker", type: "ACTION_EXECUTE", durationMs: 42 };
const METADATA_JSON = JSON.stringify(METADATA);
const CREATED_AT = new Date().toISOString();

/** Calls `step` in a loop for RUN_MS (awaiting it: the application's writer is async); returns rows per second. */
async function rate(step) {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < RUN_MS) {
    for (let i = 0; i < 100; i++) {
      const r = step(n++);
      if (typeof r?.then === "function") await r; // the raw sides stay synchronous: no microtask per row
    }
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}

async function rawRate() {
  const db = await freshRaw();
  const insert = db.prepare(`INSERT INTO audit_events (id, created_at, actor_type, actor_id, action, target_type, target_id, result, message, metadata_json, request_id) VALUES (?, ?, 'AGENT', ?, 'command.completed', 'Command', ?, 'SUCCESS', NULL, ?, NULL)`);
  // Autocommit: each statement is its own transaction, like each change in the application.
  const r = await rate((i) => insert.run(`aud_${String(i).padStart(26, "0")}`, CREATED_AT, AGENT_ID, COMMAND_ID, METADATA_JSON));
  db.close();
  return r;
}

async function rawBatchedRate() {
  const db = await freshRaw();
  const insert = db.prepare(`INSERT INTO audit_events (id, created_at, actor_type, actor_id, action, target_type, target_id, result, message, metadata_json, request_id) VALUES (?, ?, 'AGENT', ?, 'command.completed', 'Command', ?, 'SUCCESS', NULL, ?, NULL)`);
  const batch = db.transaction((from) => {
    for (let i = from; i < from + 1000; i++) insert.run(`aud_${String(i).padStart(26, "0")}`, CREATED_AT, AGENT_ID, COMMAND_ID, METADATA_JSON);
  });
  let n = 0;
  const r = await rate(() => {
    if (n % 1000 === 0) batch(n);
    n++;
  });
  db.close();
  return r;
}

/** The writer 1,000 rows per transaction: its own CPU cost per row, with the commit amortised away. */
async function appBatchedRate() {
  const db = await freshDb();
  const app = { db, now: () => new Date(), runtime: createRuntime(() => new Date()) };
  const batch = () => db.transaction(async () => {
    for (let i = 0; i < 1000; i++) {
      await writeAudit(app, { actor: { type: "AGENT", id: AGENT_ID }, action: "command.completed", target: { type: "Command", id: COMMAND_ID }, metadata: METADATA });
    }
  });
  let n = 0;
  const r = await rate(async () => {
    if (n % 1000 === 0) await batch();
    n++;
  });
  await db.close();
  return r;
}

async function appRate() {
  const db = await freshDb();
  const app = { db, now: () => new Date(), runtime: createRuntime(() => new Date()) };
  const r = await rate(() => db.transaction(() => writeAudit(app, {
    actor: { type: "AGENT", id: AGENT_ID }, action: "command.completed", target: { type: "Command", id: COMMAND_ID }, metadata: METADATA,
  })));
  await db.close();
  return r;
}

try {
  // An untimed pass of each first: JIT, page cache and the file system's first allocations.
  await rawRate();
  await appRate();
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which side goes first, so neither always inherits the other's dirty pages.
    const [raw, app] = r % 2 ? [await rawRate(), await appRate()] : [await appRate(), await rawRate()].reverse();
    const batched = await rawBatchedRate();
    const appBatched = await appBatchedRate();
    rounds.push({ raw, app, batched, appBatched, ratio: app / raw, batchedRatio: appBatched / batched });
  }
  console.log(`sqlite audit inserts: ${RUN_MS / 1000} s per run, WAL + synchronous=NORMAL (src/db/sqlite.ts), file in ${tmpdir()}`);
  console.log(table([
    ["round", "raw (1 per txn)", "writeAudit (1 per txn)", "ratio", "raw (1,000 per txn)", "writeAudit (1,000 per txn)", "ratio"],
    ...rounds.map((r, i) => [i + 1, num(r.raw), num(r.app), r.ratio.toFixed(2), num(r.batched), num(r.appBatched), r.batchedRatio.toFixed(2)]),
  ]));
  const ratio = median(rounds.map((r) => r.ratio));
  const batchedRatio = median(rounds.map((r) => r.batchedRatio));
  const perRowUs = (1e6 / median(rounds.map((r) => r.appBatched))) - (1e6 / median(rounds.map((r) => r.batched)));
  console.log(`rows/s; one commit per event (what the application does) is the limit; the writer's own work adds ~${perRowUs.toFixed(1)} us per row`);
  emitResult("sqlite-audit", [{
    name: "7. Audit writes vs raw SQLite inserts, 1 per txn", value: `${num(median(rounds.map((r) => r.app)))} rows/s`,
    baseline: `raw better-sqlite3 ${num(median(rounds.map((r) => r.raw)))} rows/s`,
    ratio: Number(ratio.toFixed(2)), target: "(reported)", met: null,
  }, {
    name: "7. Audit writes vs raw inserts, batched 1,000 per txn", value: `${num(median(rounds.map((r) => r.appBatched)))} rows/s`,
    baseline: `raw better-sqlite3 ${num(median(rounds.map((r) => r.batched)))} rows/s`, ratio: Number(batchedRatio.toFixed(2)), target: "(reported)", met: null,
  }]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
