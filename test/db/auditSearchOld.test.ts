// A q common long ago but absent among the newest events (the bench's "event 1"): on PostgreSQL more
// matches than the count cap and none in the newest window, so the page comes from the matches from a
// sampled time X on (src/db/auditSearchPg.ts). Every page must still be the created_at-ordered scan's:
// both directions, deep pages and pages past the cap, ties on created_at (ids against insertion order)
// and events stored out of time order (physically first but newer, physically last but old). The
// oracle is the substring semantics in JavaScript, not the SQL under test.
import t from "tap";
import { listAuditEvents, SEARCH_COUNT_CAP, type AuditRow } from "../../src/db/audit.js";
import type { Db } from "../../src/db/open.js";
import { onPostgres } from "../testDb.js";
import { at, fileDb } from "./_seed.js";

t.setTimeout(300_000);

const OLD = SEARCH_COUNT_CAP + 2_000; // "old needle": more matches than the cap, all older than...
const NEW = 6_000; // ...these newer events, more than the newest window (5,000) holds
const RARE_EVERY = 5; // every 5th old event also holds "rare pin": fewer matches than the cap

// ids fall as time rises, and every 3 events share a created_at: ties are ordered by id against insertion order
const idOf = (i: number): string => `aud_${String(1_000_000 - i).padStart(8, "0")}`;
const event = (i: number, s: number, message: string): AuditRow => ({
  id: idOf(i), createdAt: at(s), actorType: "SYSTEM", actorId: null, action: "bench.event", targetType: null, targetId: null,
  result: "SUCCESS", message, metadata: null, requestId: null,
});

function trail(): AuditRow[] {
  const rows: AuditRow[] = [];
  // stored first, newer than every other old needle (but older than the newest window): physically first
  rows.push(event(-1, OLD + 10, "old needle stored first, newest of its kind"));
  for (let i = 0; i < OLD; i++) rows.push(event(i, Math.floor(i / 3), `old needle ${i}${i % RARE_EVERY ? "" : " rare pin"}`));
  for (let i = OLD; i < OLD + NEW; i++) rows.push(event(i, OLD + 20 + i, `new item ${i}`));
  // stored last, with old times: physically after the newest events
  rows.push(event(OLD + NEW, 7, "old needle stored last, tied with old events"));
  rows.push(event(OLD + NEW + 1, OLD - 50, "old needle stored last among the newest matches rare pin"));
  return rows;
}

const lower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const oracle = (rows: AuditRow[], q: string, desc: boolean): string[] =>
  rows.filter((r) => r.message !== null && lower(r.message).includes(lower(q)))
    .sort((a, b) => (desc ? -1 : 1) * (a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)))
    .map((r) => r.id);

/** Multi-row INSERTs: thousands of events in seconds on either engine (the columns insertAuditEvent writes). */
async function insertAll(db: Db, rows: AuditRow[]): Promise<void> {
  const cols = "id, created_at, actor_type, actor_id, action, target_type, target_id, result, message";
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await db.run(`INSERT INTO audit_events (${cols}) VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
      chunk.flatMap((r) => [r.id, r.createdAt, r.actorType, r.actorId, r.action, r.targetType, r.targetId, r.result, r.message]));
  }
}

t.test("a q absent from the newest events: every page equals the created_at-ordered scan's", async (t) => {
  const db = await fileDb(t);
  const rows = trail();
  await insertAll(db, rows);
  if (onPostgres) {
    // the state of a trail grown over time: statistics (the sample's size) and BRIN ranges summarised
    await db.exec("ANALYZE audit_events");
    await db.get("SELECT brin_summarize_new_values('audit_created_brin')");
  }
  const statements: string[] = [];
  const spy = new Proxy(db, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== "all" || typeof v !== "function") return v;
      return (sql: string, params?: unknown[]) => { statements.push(sql); return (v as Db["all"]).call(target, sql, params as never); };
    },
  });
  const pages = [[1, 50], [2, 50], [1, 7], [3, 7], [40, 50], [199, 50], [200, 50], [201, 50], [240, 50], [241, 50], [1, 100]] as const;
  for (const q of ["old needle", "OLD NEEDLE", "rare pin", "needle stored", "new item 1"]) {
    for (const desc of [true, false]) {
      const want = oracle(rows, q, desc);
      for (const [page, pageSize] of pages) {
        statements.length = 0;
        const got = await listAuditEvents(spy, { q }, [{ field: "createdAt", desc }], page, pageSize);
        const label = `q=${q} ${desc ? "newest" : "oldest"} first, page ${page} of ${pageSize}`;
        t.same(got.rows.map((r) => r.id), want.slice((page - 1) * pageSize, page * pageSize), label);
        t.same([got.total, got.totalCapped], want.length > SEARCH_COUNT_CAP ? [SEARCH_COUNT_CAP, true] : [want.length, false], `total, ${label}`);
        if (onPostgres && q === "old needle" && desc && page === 1) {
          t.ok(statements.some((s) => s.includes("TABLESAMPLE")), `a sample chose X, ${label}`);
          t.match(statements.at(-1), /created_at >= \?/, `the matches from X on answered (not every match sorted), ${label}`);
        }
      }
    }
  }
});
