// audit_events: append-only trail. Inserted only through domain/audit.ts (the one writer).
import type { Db } from "./open.js";
import type { ActorType, AuditResult } from "../vocabulary.js";
import { Where, orderBy, limitOffset, parseJson, type SortKey } from "./query.js";
import type { SqlParam } from "./engine.js";
import { addCandidates, searchPlan, SEARCH_COUNT_CAP, walkCount, walkPage, type SearchPlan } from "./auditSearch.js";
import { pgSearchPage } from "./auditSearchPg.js";

export { SEARCH_COUNT_CAP, SEARCH_INDEX_LIMIT } from "./auditSearch.js";

export interface AuditRow {
  id: string;
  createdAt: string;
  actorType: ActorType;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  result: AuditResult;
  message: string | null;
  metadata: Record<string, unknown> | null;
  requestId: string | null;
}

export interface AuditFilter {
  actorType?: string[] | undefined;
  actorId?: string[] | undefined;
  action?: string[] | undefined;
  /** actions starting with this (a fixed family such as "bus."; no LIKE wildcards in it) */
  actionPrefix?: string | undefined;
  targetType?: string[] | undefined;
  targetId?: string[] | undefined;
  result?: string[] | undefined;
  from?: string | undefined;
  to?: string | undefined;
  q?: string | undefined;
}

const COLUMNS = `id, created_at, actor_type, actor_id, action, target_type, target_id, result, message, metadata_json, request_id`;
export const AUDIT_SORT: Record<string, string> = { createdAt: "created_at" };

const sql = {
  // one audit event, or `n` in one statement
  insert: `INSERT INTO audit_events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  insertMany: (n: number) => `INSERT INTO audit_events (${COLUMNS}) VALUES ${Array(n).fill("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
  // detail by id
  get: `SELECT ${COLUMNS} FROM audit_events WHERE id = ?`,
  // newest events for the dashboard, without counting the whole table
  recent: `SELECT ${COLUMNS} FROM audit_events ORDER BY created_at DESC, id DESC LIMIT ?`,
  // the upstream console's dashboard total (auditEventCount)
  countAll: `SELECT COUNT(*) AS n FROM audit_events`,
  // retention: oldest first, bounded batch
  deleteBefore: `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE created_at < ? ORDER BY created_at LIMIT ?)`,
  // operational metrics derived from the trail
  countByAction: `SELECT action, COUNT(*) AS n FROM audit_events WHERE action IN ('command.dispatched','command.completed','command.failed','service.action.prepared','command.prepare.failed') GROUP BY action`,
};

type RawRow = {
  id: string; created_at: string; actor_type: AuditRow["actorType"]; actor_id: string | null; action: string;
  target_type: string | null; target_id: string | null; result: AuditRow["result"]; message: string | null;
  metadata_json: string | null; request_id: string | null;
};

const toRow = (r: RawRow): AuditRow => ({
  id: r.id,
  createdAt: r.created_at,
  actorType: r.actor_type,
  actorId: r.actor_id,
  action: r.action,
  targetType: r.target_type,
  targetId: r.target_id,
  result: r.result,
  message: r.message,
  metadata: parseJson<Record<string, unknown> | null>(r.metadata_json, null),
  requestId: r.request_id,
});

const paramsOf = (e: AuditRow): SqlParam[] => [e.id, e.createdAt, e.actorType, e.actorId, e.action, e.targetType, e.targetId, e.result, e.message,
  e.metadata ? JSON.stringify(e.metadata) : null, e.requestId];

export async function insertAuditEvent(db: Db, e: AuditRow): Promise<void> {
  await db.run(sql.insert, paramsOf(e));
}

/** Most events one INSERT carries: 64 x 11 parameters, and at most 64 statement texts to prepare. */
const INSERT_CHUNK = 64;

/** Events in one statement per chunk: a batch of first contacts' samples is one round trip, not one per agent. */
export async function insertAuditEvents(db: Db, rows: readonly AuditRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    await db.run(sql.insertMany(chunk.length), chunk.flatMap(paramsOf));
  }
}

export async function getAuditEvent(db: Db, id: string): Promise<AuditRow | undefined> {
  const r = await db.get<RawRow>(sql.get, [id]);
  return r && toRow(r);
}

function whereOf(f: AuditFilter, plan: SearchPlan = { kind: "scan" }): Where {
  const w = new Where()
    .anyOf("actor_type", f.actorType)
    .anyOf("actor_id", f.actorId)
    .anyOf("action", f.action)
    .anyOf("target_type", f.targetType)
    .anyOf("target_id", f.targetId)
    .anyOf("result", f.result)
    .search(["action", "message", "target_id", "actor_id"], f.q);
  addCandidates(w, plan);
  if (f.actionPrefix) w.add("action LIKE ?", `${f.actionPrefix}%`);
  if (f.from) w.add("created_at >= ?", f.from);
  if (f.to) w.add("created_at <= ?", f.to);
  return w;
}

/** Filters with an index of their own: with one of them a common q is not walked through its candidates. */
const indexedFilter = (f: AuditFilter): boolean => [f.actorType, f.actorId, f.action, f.targetType, f.targetId, f.result].some((v) => v?.length);

/**
 * A page and the total. With a q the total counts at most SEARCH_COUNT_CAP + 1 matches, and the page is
 * found as auditSearch.ts explains (the same rows as the created_at-ordered scan, found sooner).
 */
export async function listAuditEvents(db: Db, f: AuditFilter, sort: SortKey[], page: number, pageSize: number): Promise<{ rows: AuditRow[]; total: number; totalCapped: boolean }> {
  const byTime = sort.every((s) => s.field === "createdAt");
  const plan = await searchPlan(db, f.q, byTime && !indexedFilter(f));
  const w = whereOf(f, plan);
  const order = orderBy(sort, AUDIT_SORT);
  const offset = (page - 1) * pageSize;
  let n: number;
  let rows: RawRow[];
  if (plan.kind === "walk") {
    n = await walkCount(db, plan.match, w);
    const extra = (clause?: string, ...params: SqlParam[]): Where => (clause ? whereOf(f).add(clause, ...params) : whereOf(f));
    rows = await walkPage<RawRow>(db, COLUMNS, plan.match, extra, sort[0]?.desc ?? true, offset, pageSize);
  } else if (plan.kind === "probe" && byTime && sort.length) {
    const where = (probe: boolean, clause?: string, ...params: SqlParam[]): Where => {
      const out = whereOf(f, probe ? plan : { kind: "scan" });
      return clause ? out.add(clause, ...params) : out;
    };
    ({ rows, n } = await pgSearchPage<RawRow>(db, COLUMNS, where, sort[0]!.desc, order, offset, pageSize));
  } else {
    // with a q, count at most cap + 1 matches (without one, the exact count, as before)
    const count = f.q
      ? `SELECT COUNT(*) AS n FROM (SELECT 1 FROM audit_events ${w.sql} LIMIT ${SEARCH_COUNT_CAP + 1}) c`
      : `SELECT COUNT(*) AS n FROM audit_events ${w.sql}`;
    n = Number((await db.get<{ n: number }>(count, w.params))!.n);
    rows = await db.all<RawRow>(`SELECT ${COLUMNS} FROM audit_events ${w.sql} ${order} ${limitOffset(page, pageSize)}`, w.params);
  }
  const totalCapped = Boolean(f.q) && n > SEARCH_COUNT_CAP;
  return { rows: rows.map(toRow), total: totalCapped ? SEARCH_COUNT_CAP : n, totalCapped };
}

/**
 * One batch of an export, by keyset (created_at, id) after the last row of the previous batch. Each
 * batch is a complete query: an open iterator would keep the shared connection busy while the
 * response streams, blocking every other request.
 */
export async function auditBatch(db: Db, f: AuditFilter, desc: boolean, after: { createdAt: string; id: string } | null, limit: number): Promise<AuditRow[]> {
  const plan = await searchPlan(db, f.q, false); // a common q is scanned in created_at order, batch after batch
  const w = whereOf(f, plan);
  if (after) {
    if (desc) w.add("(created_at < ? OR (created_at = ? AND id < ?))", after.createdAt, after.createdAt, after.id);
    else w.add("(created_at > ? OR (created_at = ? AND id > ?))", after.createdAt, after.createdAt, after.id);
  }
  const dir = desc ? "DESC" : "ASC";
  const rows = await db.all<RawRow>(`SELECT ${COLUMNS} FROM audit_events ${w.sql} ORDER BY created_at ${dir}, id ${dir} LIMIT ${Math.floor(limit)}`, w.params);
  return rows.map(toRow);
}

export const recentAuditEvents = async (db: Db, limit: number): Promise<AuditRow[]> => (await db.all<RawRow>(sql.recent, [limit])).map(toRow);

export async function deleteAuditEventsBefore(db: Db, cutoffIso: string, limit: number): Promise<number> {
  return (await db.run(sql.deleteBefore, [cutoffIso, limit])).changes;
}

export const countAuditEvents = async (db: Db): Promise<number> => Number((await db.get<{ n: number }>(sql.countAll))!.n);

export async function countAuditActions(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of await db.all<{ action: string; n: number }>(sql.countByAction)) out[r.action] = r.n;
  return out;
}
