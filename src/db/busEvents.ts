// bus_events: every event an agent published while the bus was on, with its outcome and the commands it caused.
import type { Db } from "./open.js";
import { Where, limitOffset, orderBy, parseJson, type SortKey } from "./query.js";
import type { BusEventOutcome, BusMatchOutcome, LiveBusRouteStatus } from "../vocabulary.js";

export type { BusEventOutcome } from "../vocabulary.js";

/** What one matching route did with the event. */
export interface BusMatch {
  routeId: string;
  routeName: string;
  status: LiveBusRouteStatus;
  outcome: BusMatchOutcome;
  commandId?: string;
  errorCode?: string;
  message?: string;
}

export interface BusEventRow {
  id: string;
  clientEventId: string | null;
  agentId: string | null;
  sourceServiceId: string | null;
  sourceServiceCode: string;
  eventType: string;
  occurredAt: string | null;
  data: unknown;
  metadata: Record<string, unknown> | null;
  outcome: BusEventOutcome;
  errorCode: string | null;
  matches: BusMatch[];
  commandIds: string[];
  createdAt: string;
}

const COLUMNS = `id, client_event_id, agent_id, source_service_id, source_service_code, event_type, occurred_at, data_json, metadata_json,
  outcome, error_code, matches_json, command_ids_json, created_at`;
export const BUS_EVENT_SORT: Record<string, string> = { createdAt: "created_at", eventType: "event_type" };

const sql = {
  // by id
  get: `SELECT ${COLUMNS} FROM bus_events WHERE id = ?`,
  // an agent re-sending the same eventId gets the first answer (index bus_events_client_id)
  byClientId: `SELECT ${COLUMNS} FROM bus_events WHERE agent_id = ? AND client_event_id = ?`,
  // record an event with its final outcome (written once, in the ingest transaction)
  insert: `INSERT INTO bus_events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // retention (maintenance): oldest first, in batches
  deleteBefore: `DELETE FROM bus_events WHERE id IN (SELECT id FROM bus_events WHERE created_at < ? ORDER BY created_at LIMIT ?)`,
};

type Raw = {
  id: string; client_event_id: string | null; agent_id: string | null; source_service_id: string | null; source_service_code: string;
  event_type: string; occurred_at: string | null; data_json: string; metadata_json: string | null; outcome: BusEventOutcome;
  error_code: string | null; matches_json: string; command_ids_json: string; created_at: string;
};

const toRow = (r: Raw): BusEventRow => ({
  id: r.id, clientEventId: r.client_event_id, agentId: r.agent_id, sourceServiceId: r.source_service_id,
  sourceServiceCode: r.source_service_code, eventType: r.event_type, occurredAt: r.occurred_at, data: parseJson<unknown>(r.data_json, null),
  metadata: parseJson<Record<string, unknown> | null>(r.metadata_json, null), outcome: r.outcome, errorCode: r.error_code,
  matches: parseJson<BusMatch[]>(r.matches_json, []), commandIds: parseJson<string[]>(r.command_ids_json, []), createdAt: r.created_at,
});

export async function getBusEvent(db: Db, id: string): Promise<BusEventRow | undefined> {
  const r = await db.get<Raw>(sql.get, [id]);
  return r && toRow(r);
}

export async function getBusEventByClientId(db: Db, agentId: string, clientEventId: string): Promise<BusEventRow | undefined> {
  const r = await db.get<Raw>(sql.byClientId, [agentId, clientEventId]);
  return r && toRow(r);
}

export async function insertBusEvent(db: Db, e: BusEventRow): Promise<void> {
  await db.run(sql.insert, [e.id, e.clientEventId, e.agentId, e.sourceServiceId, e.sourceServiceCode, e.eventType, e.occurredAt, JSON.stringify(e.data ?? null),
    e.metadata === null ? null : JSON.stringify(e.metadata), e.outcome, e.errorCode, JSON.stringify(e.matches), JSON.stringify(e.commandIds),
    e.createdAt]);
}

/** Deletes up to `limit` events older than the cutoff; returns how many went. */
export const deleteBusEventsBefore = async (db: Db, beforeIso: string, limit: number): Promise<number> => (await db.run(sql.deleteBefore, [beforeIso, limit])).changes;

export interface BusEventFilter {
  eventType?: string[] | undefined;
  /** Source service code. */
  source?: string[] | undefined;
  outcome?: string[] | undefined;
  agentId?: string[] | undefined;
}

export async function listBusEvents(db: Db, f: BusEventFilter, sort: SortKey[], page: number, pageSize: number): Promise<{ rows: BusEventRow[]; total: number }> {
  const w = new Where()
    .anyOf("event_type", f.eventType).anyOf("source_service_code", f.source).anyOf("outcome", f.outcome).anyOf("agent_id", f.agentId);
  const total = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM bus_events ${w.sql}`, w.params))!.n;
  const rows = await db.all<Raw>(`SELECT ${COLUMNS} FROM bus_events ${w.sql} ${orderBy(sort, BUS_EVENT_SORT)} ${limitOffset(page, pageSize)}`, w.params);
  return { rows: rows.map(toRow), total };
}
