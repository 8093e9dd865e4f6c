// Common q (migration 017): a q whose every trigram has more than SEARCH_INDEX_LIMIT candidates is
// answered on SQLite by walking the candidates newest first (rowid order) and on PostgreSQL by the
// newest events first or every match sorted. Either way each page must be the page of the
// created_at-ordered scan: with "late" events (inserted with an older created_at than events already
// stored), ties on created_at whose ids run against insertion order, both sort directions and pages
// past the first. The oracle is the substring semantics in JavaScript, not the SQL under test.
import t from "tap";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { insertAuditEvent, listAuditEvents, SEARCH_COUNT_CAP, SEARCH_INDEX_LIMIT, type AuditRow } from "../../src/db/audit.js";
import { searchPlan } from "../../src/db/auditSearch.js";
import { migrationFiles, openDb, sqliteHandle } from "../../src/db/open.js";
import { rootPath } from "../../src/paths.js";
import { onPostgres } from "../testDb.js";
import { at, fileDb } from "./_seed.js";

t.setTimeout(600_000); // 23,000 inserts on a loaded machine (PostgreSQL)

const OLD = SEARCH_INDEX_LIMIT + 1_000; // events whose message holds "old needle": every trigram of it is common
const BULK = OLD + 2_000; // then 2,000 newer events without it
// ids fall as events are inserted, so two events sharing a created_at are ordered (id DESC) against rowid order
const idOf = (i: number): string => `aud_${String(10_000_000 - i).padStart(8, "0")}`;
const event = (i: number, createdAt: string, message: string): AuditRow => ({
  id: idOf(i), createdAt, actorType: "SYSTEM", actorId: null, action: "bench.event", targetType: null, targetId: null,
  result: "SUCCESS", message, metadata: null, requestId: null,
});

const lower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const oracle = (rows: AuditRow[], q: string, desc: boolean): string[] =>
  rows.filter((r) => r.message !== null && lower(r.message).includes(lower(q)))
    .sort((a, b) => (desc ? -1 : 1) * (a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)))
    .map((r) => r.id);

t.test("a common q: every page equals the created_at-ordered scan's, late events and ties included", async (t) => {
  const db = await fileDb(t);
  const rows: AuditRow[] = [];
  for (let i = 0; i < BULK; i++) {
    // every 10th event shares the created_at of the one before it (a tie inserted after it, with a smaller id)
    const createdAt = at(i % 10 === 0 && i > 0 ? i - 1 : i);
    rows.push(event(i, createdAt, i < OLD ? `old needle ${i} common` : `new item ${i} common`));
  }
  const late = [
    event(BULK, at(OLD - 6), "old needle late, among the newest matches"),
    event(BULK + 1, at(OLD - 11), "old needle late, tied with an earlier event"), // at(OLD - 11) is also event OLD - 11's (and OLD - 10's)
    event(BULK + 2, at(-100), "old needle ancient"),
    event(BULK + 3, at(5), "late, no needle"),
  ];
  rows.push(...late);
  await db.transaction(async () => {
    for (const r of rows) await insertAuditEvent(db, r);
  });
  if (!onPostgres) {
    const lateRowids = sqliteHandle(db).prepare("SELECT e.id FROM audit_search_late l JOIN audit_events e ON e.rowid = l.event_rowid ORDER BY 1").pluck().all();
    t.same(lateRowids, late.map((r) => r.id).sort(), "exactly the events inserted with an older created_at are late");
  }
  t.equal((await searchPlan(db, "old needle", true)).kind, onPostgres ? "probe" : "walk", "the common q takes the walk (SQLite)");
  for (const q of ["old needle", "common", "needle late", "ancient", "le, ti"]) {
    for (const desc of [true, false]) {
      const want = oracle(rows, q, desc);
      for (const [page, pageSize] of [[1, 7], [2, 7], [3, 7], [1, 50], [40, 50]] as const) {
        const got = await listAuditEvents(db, { q }, [{ field: "createdAt", desc }], page, pageSize);
        const label = `q=${q} ${desc ? "newest" : "oldest"} first, page ${page} of ${pageSize}`;
        t.same(got.rows.map((r) => r.id), want.slice((page - 1) * pageSize, page * pageSize), label);
        t.same([got.total, got.totalCapped], want.length > SEARCH_COUNT_CAP ? [SEARCH_COUNT_CAP, true] : [want.length, false], `total, ${label}`);
      }
    }
  }
  // with another indexed filter the walk is not taken; the answer is the same
  const filtered = await listAuditEvents(db, { q: "old needle", action: ["bench.event"] }, [{ field: "createdAt", desc: true }], 1, 7);
  t.same(filtered.rows.map((r) => r.id), oracle(rows, "old needle", true).slice(0, 7));
});

t.test("SQLite: migration 017 lists the late events an existing database already holds", { skip: onPostgres && "SQLite only" }, async (t) => {
  const file = join(t.testdir(), "old.db");
  const raw = new Database(file);
  raw.exec(readFileSync(rootPath("schema.sql"), "utf8"));
  const before = migrationFiles().filter((m) => m.version < 17);
  for (const m of before) raw.exec(readFileSync(rootPath("migrations", m.file), "utf8"));
  raw.pragma(`user_version = ${Math.max(...before.map((m) => m.version))}`);
  const insert = raw.prepare("INSERT INTO audit_events (id, created_at, actor_type, action, result, message) VALUES (?, ?, 'SYSTEM', 'old.event', 'SUCCESS', ?)");
  for (const [id, s] of [["a1", 10], ["a2", 20], ["a3", 15], ["a4", 20], ["a5", 30], ["a6", 5], ["a7", 31]] as const) insert.run(id, at(s), id);
  raw.close();
  const db = await openDb(file); // migrates to 017
  t.teardown(() => db.close());
  const late = sqliteHandle(db).prepare("SELECT e.id FROM audit_search_late l JOIN audit_events e ON e.rowid = l.event_rowid ORDER BY 1").pluck().all();
  t.same(late, ["a3", "a6"], "older than an event stored before them (an equal created_at is not late)");
  await insertAuditEvent(db, event(1, at(29), "after the migration"));
  t.equal(sqliteHandle(db).prepare("SELECT count(*) FROM audit_search_late").pluck().get(), 3, "the trigger lists a new late event");
  await db.run("DELETE FROM audit_events WHERE id = ?", ["a6"]);
  t.equal(sqliteHandle(db).prepare("SELECT count(*) FROM audit_search_late").pluck().get(), 2, "a deleted event leaves the list");
});
