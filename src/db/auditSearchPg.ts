// PostgreSQL: how the audit list answers a free-text q sorted by time (issue #16 point 5). Every
// statement re-checks its candidates with the literal LIKE (Where.search), so each path returns the
// rows and order of the created_at-ordered scan; the paths differ only in how many candidates they read.
import type { Db } from "./open.js";
import type { SqlParam } from "./engine.js";
import type { Where } from "./query.js";
import { SEARCH_COUNT_CAP } from "./auditSearch.js";

/** A q's page is first looked for among this many newest events (or 20 pages, if more). */
const NEWEST_WINDOW = 5_000;
/** A q dense among the newest events is counted by walking at most this many newest events. */
const MAX_COUNT_WALK = 100_000;
/** About this many events are sampled to find where in time a common q's page lies. */
const SAMPLE_EVENTS = 4_000;

/** The list's WHERE, with the index probe (`probe`) or without, and with one more clause. */
export type SearchWhere = (probe: boolean, clause?: string, ...params: SqlParam[]) => Where;
type Found<R> = { rows: R[]; n: number };

const sql = {
  // the events now, estimated as the planner does (statistics' rows per page times the pages now): a
  // table grown since its last ANALYZE does not get a larger sample; null when never analysed
  events: `SELECT CASE WHEN relpages > 0 AND reltuples > 0 THEN reltuples / relpages * (pg_relation_size(oid) / current_setting('block_size')::int) END AS n
    FROM pg_class WHERE oid = 'audit_events'::regclass`,
};

/**
 * The page and the (capped) count of a q, sort by time (`desc`: newest first). In order, each step
 * answering when it can:
 * 1. the newest events (a window of NEWEST_WINDOW, or 20 pages): a page found there is exact (every
 *    other event is older); a q dense there is counted by walking the newest events on (bounded);
 * 2. the matches through the index, in the index's order, up to the cap + 1: the count, and the
 *    page when that is every match (the q has at most SEARCH_COUNT_CAP matches);
 * 3. a q with more matches than the cap, none or few among the newest events (typically: common long
 *    ago, absent lately): the page lies among the matches from some time X on. The matches counted
 *    or a block sample of the events suggest X (pageFromSample), and the matches from X on, through
 *    the index ANDed with the created_at BRIN of migration 018, give the page when there are enough
 *    of them: every other match is older than X. Else every match is sorted (cost grows with them).
 */
export async function pgSearchPage<R>(
  db: Db, columns: string, where: SearchWhere, desc: boolean, order: string, offset: number, pageSize: number,
): Promise<Found<R>> {
  const exact = where(false);
  const window = Math.max(NEWEST_WINDOW, 20 * (offset + pageSize));
  const newest = (limit: number): string => `(SELECT ${columns} FROM audit_events ${order} LIMIT ${limit}) w`;
  const near = await db.all<R & { hits: number }>(
    `SELECT *, count(*) OVER () AS hits FROM ${newest(window)} ${exact.sql} ${order} LIMIT ${pageSize} OFFSET ${offset}`, exact.params);
  if (near.length === pageSize) {
    const hits = Number(near[0]!.hits);
    const rows = near.map(({ hits: _, ...r }) => r as R);
    if (hits > SEARCH_COUNT_CAP) return { rows, n: hits };
    const reach = Math.min(MAX_COUNT_WALK, Math.ceil((1.5 * (SEARCH_COUNT_CAP + 1) * window) / hits));
    const walked = Number((await db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${newest(reach)} ${exact.sql} LIMIT ${SEARCH_COUNT_CAP + 1}) c`, exact.params))!.n);
    if (walked > SEARCH_COUNT_CAP) return { rows, n: walked };
    const probed = where(true);
    const n = Number((await serial(db, () => db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM audit_events ${probed.sql} LIMIT ${SEARCH_COUNT_CAP + 1}) c`, probed.params)))!.n);
    return { rows, n };
  }
  const found = await serial(db, async () => {
    const few = await capped<R>(db, columns, where(true), desc, order, offset, pageSize);
    if (few.n <= SEARCH_COUNT_CAP) return few;
    return { rows: await pageFromSample<R>(db, columns, where, few.edge, desc, order, offset, pageSize), n: few.n };
  });
  // every match, sorted (outside serial: parallel workers help with that many)
  return { rows: found.rows ?? await page<R>(db, columns, where(true), order, offset, pageSize), n: found.n };
}

/**
 * fn's statements planned without parallel workers. They read up to some 10,000 matches through a
 * bitmap whose building one process does alone; the planner, which expects far more rows to survive,
 * would start two workers for the heap part, and starting them cost more than they saved (1,000,000
 * events, 2 busy cores: 134 ms instead of 37 for the capped count, 67 instead of 17 for a window).
 * Reset at the end: in an enclosing transaction (transaction() joins it) the setting must not outlive fn.
 */
async function serial<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  return db.transaction(async () => {
    await db.run("SET LOCAL max_parallel_workers_per_gather = 0");
    const out = await fn();
    await db.run("SET LOCAL max_parallel_workers_per_gather TO DEFAULT");
    return out;
  });
}

/**
 * Up to the cap + 1 matches in the index's order (a bitmap scan stops there): their count, and the
 * page sorted from them, which is the page when they are every match (n <= the cap; else rows is []).
 * Beyond the cap, `edge`: the created_at of the (offset + page size)-th newest (oldest, ascending) of
 * those read, so that many matches at least lie from there on (null when fewer were read).
 */
async function capped<R>(
  db: Db, columns: string, probed: Where, desc: boolean, order: string, offset: number, pageSize: number,
): Promise<Found<R> & { edge: string | null }> {
  const all = await db.all<R & { total: number; edge: string | null; id: string | null }>(
    `WITH m AS MATERIALIZED (SELECT created_at, id FROM audit_events ${probed.sql} LIMIT ${SEARCH_COUNT_CAP + 1}),
      c AS (SELECT COUNT(*) AS total FROM m)
    SELECT c.total, CASE WHEN c.total > ${SEARCH_COUNT_CAP} THEN (SELECT created_at FROM m ORDER BY created_at ${desc ? "DESC" : "ASC"}
      LIMIT 1 OFFSET ${offset + pageSize - 1}) END AS edge, e.*
    FROM c LEFT JOIN LATERAL (SELECT ${columns} FROM (SELECT id FROM m WHERE c.total <= ${SEARCH_COUNT_CAP}
      ${order} LIMIT ${pageSize} OFFSET ${offset}) p JOIN audit_events USING (id)) e ON true ${order}`, probed.params);
  const n = Number(all[0]!.total);
  const rows = all.filter((r) => r.id !== null).map(({ total: _, edge: __, ...r }) => r as unknown as R);
  return { rows, n, edge: all[0]!.edge };
}

/** The page of the matches of `probed`, sorted by time: only their keys are sorted, the page's rows read by id. */
async function page<R>(db: Db, columns: string, probed: Where, order: string, offset: number, pageSize: number): Promise<R[]> {
  return db.all<R>(
    `WITH m AS MATERIALIZED (SELECT created_at, id FROM audit_events ${probed.sql}), p AS (SELECT id FROM m ${order} LIMIT ${pageSize} OFFSET ${offset})
    SELECT ${columns} FROM p JOIN audit_events USING (id) ${order}`, probed.params);
}

/**
 * The page from the matches from time X on (desc; up to X ascending), or null. Two candidates for X,
 * the newer (older, ascending) tried first, as it reads fewer matches: `edge` (see capped), from
 * which the page is always full, and one suggested by a sample of about SAMPLE_EVENTS events
 * (TABLESAMPLE SYSTEM: whole blocks, a fixed seed). The count read the matches in the index's order,
 * roughly oldest first, so for a q common long ago and absent lately edge is far back: the sample,
 * a share f of the events, has matches newest first, and from the r-th on lie about r / f matches,
 * so r = 2 (offset + page size) f suggests twice what the page needs. Neither choice affects the
 * result: the page read from X on is exact once it is full, as every match not read is older than X
 * (newer, ascending). MATERIALIZED (in page) keeps the planner to that one bitmap scan (the index and
 * the created_at BRIN), not a walk of created_at hoping to meet matches soon.
 */
async function pageFromSample<R>(
  db: Db, columns: string, where: SearchWhere, edge: string | null, desc: boolean, order: string, offset: number, pageSize: number,
): Promise<R[] | null> {
  const k = offset + pageSize;
  const xs = edge === null ? [] : [edge];
  const events = Number((await db.get<{ n: number | null }>(sql.events))?.n ?? 0);
  if (events > 0) { // else never analysed: no sample of a known size
    const share = Math.min(1, SAMPLE_EVENTS / events);
    const r = Math.max(1, Math.ceil(2 * k * share));
    const exact = where(false);
    const sampled = await db.all<{ created_at: string }>(
      `SELECT created_at FROM audit_events TABLESAMPLE SYSTEM (${100 * share}) REPEATABLE (0) ${exact.sql}
      ORDER BY created_at ${desc ? "DESC" : "ASC"} LIMIT ${r}`, exact.params);
    if (sampled.length) xs.push(sampled[sampled.length - 1]!.created_at);
  }
  const tries = [...new Set(xs)].sort().reverse(); // newest first
  for (const x of desc ? tries : tries.reverse()) {
    const rows = await page<R>(db, columns, where(true, `created_at ${desc ? ">=" : "<="} ?`, x), order, offset, pageSize);
    if (rows.length === pageSize) return rows;
  }
  return null;
}
