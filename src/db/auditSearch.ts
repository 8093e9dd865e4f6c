// How the audit list answers a free-text q (issue #16 point 5) on each engine. Every path re-checks
// candidates with the literal LIKE (Where.search), so the results are the substring semantics exactly;
// the paths differ only in where the candidates come from and in what order they are read.
import type { Db } from "./open.js";
import type { SqlParam } from "./engine.js";
import { Where } from "./query.js";
import { AUDIT_SEARCH_TEXT, trigramProbe, trigramTerms } from "./dialect.js";

/**
 * Where a free-text search stops counting: `total` is then this many and `totalCapped` is true. A q
 * matching much of a large trail would otherwise count every match for one page (docs/compatibility.md).
 */
export const SEARCH_COUNT_CAP = 10_000;
/** SQLite: up to this many index candidates the index answers; beyond, q is common (walked newest first). */
export const SEARCH_INDEX_LIMIT = 20_000;

/**
 * - scan: no index (q under 3 characters).
 * - match (SQLite): q's rarest trigrams offer few candidates: `rowid IN (MATCH)`, sorted.
 * - walk (SQLite): every trigram is common: the candidates are walked in rowid order (newest first)
 *   until a page is found (walkPage); the count also reads candidates, never the whole table.
 * - probe (PostgreSQL): the pg_trgm index probed with q's end (trigramProbe); sorted by time, the
 *   page and count are found as auditSearchPg.ts explains.
 */
export type SearchPlan = { kind: "scan" } | { kind: "match"; match: string } | { kind: "walk"; match: string } | { kind: "probe"; pattern: string };

const sql = {
  // SQLite: how many rows (up to the index limit + 1) hold one trigram of a q
  ftsCandidates: `SELECT COUNT(*) AS n FROM (SELECT rowid AS r FROM audit_search WHERE audit_search MATCH ? LIMIT ${SEARCH_INDEX_LIMIT + 1}) c`,
  // SQLite: the candidates of a MATCH joined to their events (c exposes only rid, so column names stay unambiguous)
  walkFrom: "(SELECT rowid AS rid FROM audit_search WHERE audit_search MATCH ?) c JOIN audit_events ON audit_events.rowid = c.rid",
};

/**
 * SQLite counts the hits of each of q's trigrams (up to the limit) and ANDs the (at most 3) rarest into
 * the MATCH. FTS5's AND walks every term's hits, so a common trigram (every id starts `agt_01…`) would
 * cost as much as a scan. `walkable`: the list has no other filter with an index of its own (actor,
 * action, target, result), so walking the candidates newest first is the way to a page.
 * PostgreSQL probes its one index with q's end; the planner chooses between it and the created_at walk.
 */
export async function searchPlan(db: Db, q: string | undefined, walkable: boolean): Promise<SearchPlan> {
  if (!q) return { kind: "scan" };
  if (db.kind !== "sqlite") {
    const pattern = trigramProbe(q);
    return pattern ? { kind: "probe", pattern } : { kind: "scan" };
  }
  const counted: { term: string; n: number }[] = [];
  for (const term of trigramTerms(q)) { // fewer than 3 characters: none, the scan
    counted.push({ term, n: (await db.get<{ n: number }>(sql.ftsCandidates, [term]))!.n });
    if (counted[counted.length - 1]!.n <= SEARCH_COUNT_CAP / 10) break; // rare enough: stop counting
  }
  const rarest = [...counted].sort((a, b) => a.n - b.n).slice(0, 3);
  const match = rarest.map((c) => c.term).join(" AND ");
  if (!rarest.length) return { kind: "scan" };
  if (rarest[0]!.n <= SEARCH_INDEX_LIMIT) return { kind: "match", match: rarest.filter((c) => c.n <= SEARCH_INDEX_LIMIT).map((c) => c.term).join(" AND ") };
  return walkable ? { kind: "walk", match } : { kind: "scan" };
}

/** The candidate clause a plan adds to the list's WHERE (the walk reads its candidates in FROM instead). */
export function addCandidates(w: Where, plan: SearchPlan): Where {
  // candidates only: the LIKE of Where.search keeps the literal substring semantics
  if (plan.kind === "match") w.add("audit_events.rowid IN (SELECT rowid FROM audit_search WHERE audit_search MATCH ?)", plan.match);
  if (plan.kind === "probe") w.add(`${AUDIT_SEARCH_TEXT} LIKE lower(?) ESCAPE '\\'`, plan.pattern);
  return w;
}

/** SQLite, walk plan: matches counted through the candidates, up to the cap + 1. */
export async function walkCount(db: Db, match: string, w: Where): Promise<number> {
  return (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${sql.walkFrom} ${w.sql} LIMIT ${SEARCH_COUNT_CAP + 1}) m`, [match, ...w.params]))!.n;
}

type Keyed = { id: string; created_at: string };
const newer = (a: Keyed, b: Keyed): number => (a.created_at === b.created_at ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.created_at < b.created_at ? 1 : -1);

/**
 * SQLite, walk plan: one page in created_at order, read from the candidates in rowid order. A row's
 * created_at is >= that of every row inserted before it, except the "late" rows of audit_search_late
 * (migration 017). So the walk over the other rows meets matches in created_at order: after the k-th
 * (offset + page size) at created_at X, no unvisited one is newer than X. The page is then the best k
 * of the walked rows, the matches at exactly X (ties are ordered by id) and the late matches from X on.
 * `where(extra)` builds the list's WHERE with one more clause.
 */
export async function walkPage<R extends Keyed>(
  db: Db, columns: string, match: string, where: (clause?: string, ...params: SqlParam[]) => Where, desc: boolean, offset: number, pageSize: number,
): Promise<R[]> {
  const k = offset + pageSize;
  const notLate = where("audit_events.rowid NOT IN (SELECT event_rowid FROM audit_search_late)");
  const walked = await db.all<R>(`SELECT ${columns} FROM ${sql.walkFrom} ${notLate.sql} ORDER BY c.rid ${desc ? "DESC" : "ASC"} LIMIT ${k}`, [match, ...notLate.params]);
  const edge = walked.length === k ? walked[k - 1]!.created_at : null; // fewer: every candidate was walked
  const ties = edge === null ? [] : await (async () => {
    const w = where("created_at = ?", edge);
    return db.all<R>(`SELECT ${columns} FROM audit_events ${w.sql}`, w.params);
  })();
  const lateW = edge === null
    ? where("audit_events.rowid IN (SELECT event_rowid FROM audit_search_late)")
    : where(`audit_events.rowid IN (SELECT event_rowid FROM audit_search_late) AND created_at ${desc ? ">=" : "<="} ?`, edge);
  const late = await db.all<R>(`SELECT ${columns} FROM audit_events ${lateW.sql}`, lateW.params);
  const byId = new Map<string, R>();
  for (const r of [...walked, ...ties, ...late]) byId.set(r.id, r);
  return [...byId.values()].sort((a, b) => (desc ? newer(a, b) : -newer(a, b))).slice(offset, k);
}
