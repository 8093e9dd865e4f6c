// message_routes: which service answers which conversation messages (channel, type, prefixes,
// pattern, sender/conversation allowlists -> one service by code). First match by priority wins.
import type { Db } from "./open.js";
import { Where, limitOffset, parseJson } from "./query.js";
import type { MessageChannel, MessageRouteStatus, MessageType } from "../vocabulary.js";

export interface MessageRouteMatch {
  channel?: MessageChannel | undefined;
  type?: MessageType | undefined;
  commandPrefix?: string | undefined;
  textPrefix?: string | undefined;
  /** RE2 pattern (domain/messages/match.ts); bounded in length and run time. */
  textPattern?: string | undefined;
  senders?: string[] | undefined;
  conversations?: string[] | undefined;
}

export interface MessageRouteRow {
  id: string;
  name: string;
  priority: number;
  status: MessageRouteStatus;
  match: MessageRouteMatch;
  targetServiceCode: string;
  createdByUserId: string | null;
  lastMatchedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const COLUMNS = `id, name, priority, status, match_json, target_service_code, created_by_user_id, last_matched_at, created_at, updated_at`;

/** The most routes a workspace may have: every message is matched against all enabled ones. */
export const MAX_MESSAGE_ROUTES = 500;

const sql = {
  // by id
  get: `SELECT ${COLUMNS} FROM message_routes WHERE id = ?`,
  // create
  insert: `INSERT INTO message_routes (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // full rewrite of the editable fields (the domain merges a PATCH first)
  update: `UPDATE message_routes SET name = ?, priority = ?, status = ?, match_json = ?, target_service_code = ?, updated_at = ? WHERE id = ?`,
  // delete
  remove: `DELETE FROM message_routes WHERE id = ?`,
  // the routes a message is matched against, in matching order (index message_routes_order)
  enabled: `SELECT ${COLUMNS} FROM message_routes WHERE status = 'ENABLED' ORDER BY priority, created_at, id LIMIT ${MAX_MESSAGE_ROUTES}`,
  // how many exist (the cap)
  count: `SELECT COUNT(*) AS n FROM message_routes`,
  // a route matched a message
  matched: `UPDATE message_routes SET last_matched_at = ? WHERE id = ?`,
};

type Raw = {
  id: string; name: string; priority: number; status: MessageRouteStatus; match_json: string; target_service_code: string;
  created_by_user_id: string | null; last_matched_at: string | null; created_at: string; updated_at: string;
};

const toRow = (r: Raw): MessageRouteRow => ({
  id: r.id, name: r.name, priority: Number(r.priority), status: r.status, match: parseJson<MessageRouteMatch>(r.match_json, {}),
  targetServiceCode: r.target_service_code, createdByUserId: r.created_by_user_id, lastMatchedAt: r.last_matched_at,
  createdAt: r.created_at, updatedAt: r.updated_at,
});

export async function insertMessageRoute(db: Db, r: MessageRouteRow): Promise<void> {
  await db.run(sql.insert, [r.id, r.name, r.priority, r.status, JSON.stringify(r.match), r.targetServiceCode, r.createdByUserId,
    r.lastMatchedAt, r.createdAt, r.updatedAt]);
}

export async function updateMessageRoute(db: Db, r: MessageRouteRow): Promise<void> {
  await db.run(sql.update, [r.name, r.priority, r.status, JSON.stringify(r.match), r.targetServiceCode, r.updatedAt, r.id]);
}

export const deleteMessageRoute = async (db: Db, id: string): Promise<boolean> => (await db.run(sql.remove, [id])).changes > 0;

export const getMessageRoute = async (db: Db, id: string): Promise<MessageRouteRow | undefined> => {
  const r = await db.get<Raw>(sql.get, [id]);
  return r && toRow(r);
};

export const enabledMessageRoutes = async (db: Db): Promise<MessageRouteRow[]> => (await db.all<Raw>(sql.enabled)).map(toRow);
export const countMessageRoutes = async (db: Db): Promise<number> => Number((await db.get<{ n: number }>(sql.count))!.n);

export const markMessageRouteMatched = async (db: Db, id: string, nowIso: string): Promise<void> => {
  await db.run(sql.matched, [nowIso, id]);
};

export interface MessageRouteFilter {
  status?: string[] | undefined;
  targetServiceCode?: string[] | undefined;
}

export async function listMessageRoutes(db: Db, f: MessageRouteFilter, page: number, pageSize: number): Promise<{ rows: MessageRouteRow[]; total: number }> {
  const w = new Where().anyOf("status", f.status).anyOf("target_service_code", f.targetServiceCode);
  const total = Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM message_routes ${w.sql}`, w.params))!.n);
  const rows = await db.all<Raw>(`SELECT ${COLUMNS} FROM message_routes ${w.sql} ORDER BY priority, created_at, id ${limitOffset(page, pageSize)}`, w.params);
  return { rows: rows.map(toRow), total };
}
