// Indexed audit search (migration 010): the free-text q answers exactly what the literal substring scan
// answered (ASCII case folded, % _ \ literal, NULL columns never match) for inputs that are special to
// LIKE, FTS5 or pg_trgm; the index follows retention deletes; a q matching more than the cap counts to
// the cap only. The oracle below is the old semantics written in JavaScript, not the SQL under test.
import t from "tap";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import {
  auditBatch, deleteAuditEventsBefore, insertAuditEvent, listAuditEvents, SEARCH_COUNT_CAP, type AuditRow,
} from "../../src/db/audit.js";
import { migrationFiles, openDb, sqliteHandle, type Db } from "../../src/db/open.js";
import { rootPath } from "../../src/paths.js";
import { Where } from "../../src/db/query.js";
import { AUDIT_SEARCH_TEXT, trigramProbe } from "../../src/db/dialect.js";
import { onPostgres } from "../testDb.js";
import { at, fileDb } from "./_seed.js";

t.setTimeout(300_000); // 10,000+ inserts on a loaded machine (PostgreSQL)

let n = 0;
const event = (over: Partial<AuditRow> = {}): AuditRow => ({
  id: `aud_${String(++n).padStart(6, "0")}`, createdAt: at(n), actorType: "USER", actorId: "usr_1", action: "user.created",
  targetType: "User", targetId: "usr_2", result: "SUCCESS", message: null, metadata: null, requestId: null, ...over,
});
const NEWEST = [{ field: "createdAt", desc: true }];

/** The documented semantics: ASCII letters fold, nothing else does; a literal substring of any of the four columns. */
const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const oracle = (rows: AuditRow[], q: string): string[] =>
  rows
    .filter((r) => [r.action, r.message, r.targetId, r.actorId].some((v) => v !== null && asciiLower(v).includes(asciiLower(q))))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
    .map((r) => r.id);

const MESSAGES = [
  "Hello World", "HELLO world", "100% done", "1000 done", "done_x", "donexx", "it's a 'quote'", 'say "AND" OR NEAR(a b)',
  "a AND b", "star* here", "col:umn {x} ^caret -minus", "back\\slash", "École naïve", "école NAÏVE", "KELVIN \u212a sign",
  "emoji 🚀 launch", "tab\there", "  spaced  ", "aaaa", "ÄÖÜ upper", "äöü lower", "ǅ titlecase", "x".repeat(300),
];
const QUERIES = [
  "hello", "HELLO WORLD", "o w", "100%", "%", "0%", "_", "done_", "e_x", "'", "'quote'", '"AND"', '"', "AND", "or near(",
  "NEAR(a b)", "*", "star*", "col:umn", "{x}", "^caret", "-minus", "\\", "back\\s", "école", "ÉCOLE", "naï", "NAÏ", "k", "\u212a",
  "kelvin \u212a", "🚀", "🚀 l", "\t", "  ", "aaa", "aaaa", "aaaaa", "äöü", "ÄÖÜ", "ǅ", "ǆ", "xx", "x".repeat(300), "x".repeat(301),
  "user.created", "USR_", "agt_9", "zzz-nothing", "a", "ab",
];

async function seedTricky(db: Db): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  for (const [i, message] of MESSAGES.entries()) {
    rows.push(event({ message, actorId: i % 4 ? "usr_1" : null, targetId: i % 3 ? `agt_${i}` : null, action: i % 2 ? "user.created" : "AGENT.Revoked" }));
  }
  rows.push(event({ message: null, actorId: null, targetId: null, action: "system.tick" }));
  for (const r of rows) await insertAuditEvent(db, r);
  return rows;
}

async function exportIds(db: Db, q: string, batch: number): Promise<string[]> {
  const out: string[] = [];
  let after: { createdAt: string; id: string } | null = null;
  for (;;) {
    const rows = await auditBatch(db, { q }, true, after, batch);
    out.push(...rows.map((r) => r.id));
    if (rows.length < batch) return out;
    after = { createdAt: rows[rows.length - 1]!.createdAt, id: rows[rows.length - 1]!.id };
  }
}

t.test("every tricky q answers what the substring semantics answer, in the list and the export", async (t) => {
  const db = await fileDb(t);
  const rows = await seedTricky(db);
  for (const q of QUERIES) {
    const want = oracle(rows, q);
    const got = await listAuditEvents(db, { q }, NEWEST, 1, 100);
    t.same(got.rows.map((r) => r.id), want, `list q=${JSON.stringify(q.slice(0, 20))}`);
    t.same([got.total, got.totalCapped], [want.length, false], `total q=${JSON.stringify(q.slice(0, 20))}`);
    t.same(await exportIds(db, q, 3), want, `export q=${JSON.stringify(q.slice(0, 20))}`);
  }
  // the search combines with the other filters (AND)
  const agentRevoked = oracle(rows.filter((r) => r.action === "AGENT.Revoked"), "done");
  t.same((await listAuditEvents(db, { q: "done", action: ["AGENT.Revoked"] }, NEWEST, 1, 100)).rows.map((r) => r.id), agentRevoked);
  t.ok(oracle(rows, "hello").length === 2 && oracle(rows, "école").length === 1 && oracle(rows, "%").length === 1, "the oracle itself tells cases apart");
});

t.test("events deleted by retention leave the search (and the index stays consistent)", async (t) => {
  const db = await fileDb(t);
  const old = [event({ message: "retired alpha event" }), event({ message: "retired beta event" })];
  const kept = event({ message: "retired gamma event" });
  for (const r of [...old, kept]) await insertAuditEvent(db, r);
  t.equal((await listAuditEvents(db, { q: "retired" }, NEWEST, 1, 50)).total, 3);
  t.equal(await deleteAuditEventsBefore(db, kept.createdAt, 100), 2);
  const after = await listAuditEvents(db, { q: "retired" }, NEWEST, 1, 50);
  t.same([after.rows.map((r) => r.id), after.total], [[kept.id], 1]);
  t.same((await listAuditEvents(db, { q: "alpha" }, NEWEST, 1, 50)).rows, []);
  if (!onPostgres) {
    const raw = sqliteHandle(db);
    // the index holds exactly the rows of audit_events (throws SQLITE_CORRUPT_VTAB otherwise)
    raw.prepare("INSERT INTO audit_search (audit_search, rank) VALUES ('integrity-check', 1)").run();
    t.same(raw.prepare("SELECT rowid FROM audit_search WHERE audit_search MATCH '\"alp\"'").all(), [], "no index entry left for a deleted row");
    t.equal(raw.prepare("SELECT count(*) AS c FROM audit_search WHERE audit_search MATCH '\"ret\"'").pluck().get(), 1);
  }
});

t.test(`a q matching more than ${SEARCH_COUNT_CAP} events counts to the cap; a rarer one and no q count exactly`, async (t) => {
  const db = await fileDb(t);
  const common: AuditRow[] = [];
  await db.transaction(async () => {
    for (let i = 0; i < SEARCH_COUNT_CAP + 2; i++) {
      const r = event({ message: `common event ${i}` });
      common.push(r);
      await insertAuditEvent(db, r);
    }
    for (let i = 0; i < 3; i++) await insertAuditEvent(db, event({ message: `rare common ${i}`, action: "rare.one" }));
  });
  const all = await listAuditEvents(db, { q: "common" }, NEWEST, 1, 50);
  t.same([all.total, all.totalCapped, all.rows.length], [SEARCH_COUNT_CAP, true, 50]);
  const deep = await listAuditEvents(db, { q: "common event" }, NEWEST, 201, 50);
  t.same([deep.rows.map((r) => r.id), deep.totalCapped], [common.slice(0, 2).reverse().map((r) => r.id), true], "pages past the cap still answer");
  const rare = await listAuditEvents(db, { q: "rare comm" }, NEWEST, 1, 50);
  t.same([rare.total, rare.totalCapped, rare.rows.length], [3, false, 3]);
  const none = await listAuditEvents(db, {}, NEWEST, 1, 1);
  t.same([none.total, none.totalCapped], [SEARCH_COUNT_CAP + 5, false], "no q: the exact count, as before");
  const narrowed = await listAuditEvents(db, { q: "common", action: ["rare.one"] }, NEWEST, 1, 50);
  t.same([narrowed.total, narrowed.totalCapped], [3, false]);
});

t.test("SQLite: a q of 3+ characters is answered through the trigram index, a shorter one by the scan", { skip: onPostgres && "SQLite only" }, async (t) => {
  const db = await fileDb(t);
  const hidden = event({ message: "hello hidden" });
  const seen = event({ message: "hello seen" });
  for (const r of [hidden, seen]) await insertAuditEvent(db, r);
  // take one row out of the index only: a search that still finds it did not use the index
  sqliteHandle(db).prepare(`INSERT INTO audit_search (audit_search, rowid, action, message, target_id, actor_id)
    SELECT 'delete', rowid, action, message, target_id, actor_id FROM audit_events WHERE id = ?`).run(hidden.id);
  t.same((await listAuditEvents(db, { q: "hello" }, NEWEST, 1, 50)).rows.map((r) => r.id), [seen.id], "index path");
  t.same((await listAuditEvents(db, { q: "he" }, NEWEST, 1, 50)).rows.map((r) => r.id), [seen.id, hidden.id], "scan path");
});

t.test("PostgreSQL: the search is served by the one pg_trgm index of migration 017, probed with q's end", { skip: !onPostgres && "PostgreSQL only" }, async (t) => {
  const db = await fileDb(t);
  await seedTricky(db);
  const pattern = trigramProbe("say hello")!;
  t.equal(pattern, "%hello%");
  const w = new Where().search(["action", "message", "target_id", "actor_id"], "say hello").add(`${AUDIT_SEARCH_TEXT} LIKE lower(?) ESCAPE '\\'`, pattern);
  const plan = await db.transaction(async () => {
    await db.exec("SET LOCAL enable_seqscan = off"); // a tiny table would be scanned anyway; the question is whether the index can serve
    return db.all<{ "QUERY PLAN": string }>(`EXPLAIN SELECT id FROM audit_events ${w.sql}`, w.params);
  });
  t.match(plan.map((r) => r["QUERY PLAN"]).join("\n"), /Bitmap Index Scan on audit_search\b/);
  const indexes = await db.all<{ i: string }>("SELECT indexname AS i FROM pg_indexes WHERE indexname LIKE 'audit\\_search%' ORDER BY 1");
  t.same(indexes.map((r) => r.i), ["audit_search"], "the per-column indexes of 010 are gone");
});

t.test("SQLite: migration 010 indexes the events an existing database already holds", { skip: onPostgres && "SQLite only" }, async (t) => {
  const file = join(t.testdir(), "old.db");
  const raw = new Database(file);
  raw.exec(readFileSync(rootPath("schema.sql"), "utf8"));
  const before = migrationFiles().filter((m) => m.version < 10); // the ladder up to 009 (other branches' steps included once merged)
  for (const m of before) raw.exec(readFileSync(rootPath("migrations", m.file), "utf8"));
  raw.pragma(`user_version = ${Math.max(1, ...before.map((m) => m.version))}`);
  const insert = raw.prepare("INSERT INTO audit_events (id, created_at, actor_type, action, result, message) VALUES (?, ?, 'SYSTEM', 'old.event', 'SUCCESS', ?)");
  for (let i = 0; i < 50; i++) insert.run(`aud_old${String(i).padStart(23, "0")}`, at(i), `before the index ${i}`);
  raw.close();
  const db = await openDb(file); // migrates to 010
  t.teardown(() => db.close());
  t.equal(sqliteHandle(db).prepare(`SELECT count(*) FROM audit_search WHERE audit_search MATCH '"dex"'`).pluck().get(), 50, "backfilled");
  const found = await listAuditEvents(db, { q: "index 4" }, NEWEST, 1, 50);
  t.same(found.rows.map((r) => r.message), ["before the index 49", "before the index 48", "before the index 47", "before the index 46",
    "before the index 45", "before the index 44", "before the index 43", "before the index 42", "before the index 41", "before the index 40", "before the index 4"]);
});
