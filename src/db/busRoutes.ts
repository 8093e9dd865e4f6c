// bus_routes: Capsule Bus route rules (event type [+ source] -> one action on a target service).
import type { Db } from "./open.js";
import { Where, limitOffset, orderBy, parseJson, sqlList, toBool, type SortKey } from "./query.js";
import { LIVE_BUS_ROUTE_STATUSES, type BusRouteStatus } from "../vocabulary.js";

export type { BusRouteStatus } from "../vocabulary.js";

export interface BusRouteRow {
  id: string;
  name: string;
  description: string | null;
  status: BusRouteStatus;
  eventType: string;
  sourceServiceCode: string | null;
  targetServiceCode: string;
  actionName: string;
  payloadTemplate: Record<string, unknown> | null;
  confirmed: boolean;
  confirmedByUserId: string | null;
  confirmedAt: string | null;
  createdByUserId: string | null;
  lastMatchedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const COLUMNS = `id, name, description, status, event_type, source_service_code, target_service_code, action_name,
  payload_template_json, confirmed, confirmed_by_user_id, confirmed_at, created_by_user_id, last_matched_at, created_at, updated_at`;
export const BUS_ROUTE_SORT: Record<string, string> = { createdAt: "created_at", updatedAt: "updated_at", name: "name", eventType: "event_type" };

const sql = {
  // by id
  get: `SELECT ${COLUMNS} FROM bus_routes WHERE id = ?`,
  // create
  insert: `INSERT INTO bus_routes (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // full rewrite of the editable fields (the domain merges a PATCH first)
  update: `UPDATE bus_routes SET name = ?, description = ?, status = ?, event_type = ?, source_service_code = ?, target_service_code = ?,
           action_name = ?, payload_template_json = ?, confirmed = ?, confirmed_by_user_id = ?, confirmed_at = ?, updated_at = ? WHERE id = ?`,
  // delete
  remove: `DELETE FROM bus_routes WHERE id = ?`,
  // ingest: live routes for an event type (index bus_routes_match); DISABLED routes never match.
  // The source condition is applied by the domain's matching rule.
  live: `SELECT ${COLUMNS} FROM bus_routes WHERE event_type = ? AND status IN (${sqlList(LIVE_BUS_ROUTE_STATUSES)}) ORDER BY created_at, id`,
  // a route fired (shown in lists)
  touchMatched: `UPDATE bus_routes SET last_matched_at = ? WHERE id = ?`,
};

type Raw = {
  id: string; name: string; description: string | null; status: BusRouteStatus; event_type: string; source_service_code: string | null;
  target_service_code: string; action_name: string; payload_template_json: string | null; confirmed: number;
  confirmed_by_user_id: string | null; confirmed_at: string | null; created_by_user_id: string | null; last_matched_at: string | null;
  created_at: string; updated_at: string;
};

const toRow = (r: Raw): BusRouteRow => ({
  id: r.id, name: r.name, description: r.description, status: r.status, eventType: r.event_type, sourceServiceCode: r.source_service_code,
  targetServiceCode: r.target_service_code, actionName: r.action_name,
  payloadTemplate: parseJson<Record<string, unknown> | null>(r.payload_template_json, null), confirmed: toBool(r.confirmed),
  confirmedByUserId: r.confirmed_by_user_id, confirmedAt: r.confirmed_at, createdByUserId: r.created_by_user_id,
  lastMatchedAt: r.last_matched_at, createdAt: r.created_at, updatedAt: r.updated_at,
});

const templateJson = (t: Record<string, unknown> | null): string | null => (t === null ? null : JSON.stringify(t));

export async function getBusRoute(db: Db, id: string): Promise<BusRouteRow | undefined> {
  const r = await db.get<Raw>(sql.get, [id]);
  return r && toRow(r);
}

export async function insertBusRoute(db: Db, b: BusRouteRow): Promise<void> {
  await db.run(sql.insert, [b.id, b.name, b.description, b.status, b.eventType, b.sourceServiceCode, b.targetServiceCode, b.actionName, templateJson(b.payloadTemplate),
    b.confirmed ? 1 : 0, b.confirmedByUserId, b.confirmedAt, b.createdByUserId, b.lastMatchedAt, b.createdAt, b.updatedAt]);
}

export async function updateBusRoute(db: Db, b: BusRouteRow): Promise<void> {
  await db.run(sql.update, [b.name, b.description, b.status, b.eventType, b.sourceServiceCode, b.targetServiceCode, b.actionName, templateJson(b.payloadTemplate),
    b.confirmed ? 1 : 0, b.confirmedByUserId, b.confirmedAt, b.updatedAt, b.id]);
}

export const deleteBusRoute = async (db: Db, id: string): Promise<boolean> => (await db.run(sql.remove, [id])).changes === 1;

/** Routes in DRY_RUN or ENABLED listening to this event type, oldest first. */
export const liveRoutesFor = async (db: Db, eventType: string): Promise<BusRouteRow[]> => (await db.all<Raw>(sql.live, [eventType])).map(toRow);

export const touchBusRouteMatched = async (db: Db, id: string, nowIso: string): Promise<void> => {
  await db.run(sql.touchMatched, [nowIso, id]);
};

export interface BusRouteFilter {
  status?: string[] | undefined;
  eventType?: string[] | undefined;
  targetServiceCode?: string[] | undefined;
  q?: string | undefined;
}

export async function listBusRoutes(db: Db, f: BusRouteFilter, sort: SortKey[], page: number, pageSize: number): Promise<{ rows: BusRouteRow[]; total: number }> {
  const w = new Where()
    .anyOf("status", f.status).anyOf("event_type", f.eventType).anyOf("target_service_code", f.targetServiceCode)
    .search(["name", "event_type", "target_service_code", "action_name"], f.q);
  const total = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM bus_routes ${w.sql}`, w.params))!.n;
  const rows = await db.all<Raw>(`SELECT ${COLUMNS} FROM bus_routes ${w.sql} ${orderBy(sort, BUS_ROUTE_SORT)} ${limitOffset(page, pageSize)}`, w.params);
  return { rows: rows.map(toRow), total };
}
