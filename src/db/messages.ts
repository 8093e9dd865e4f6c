// conversation_messages: every message a channel received, what it was routed to, its reply and (for
// channels that push replies, Telegram) whether the reply was delivered.
import type { Db } from "./open.js";
import { Where, limitOffset, parseJson } from "./query.js";
import type { MessageChannel, MessageStatus, MessageType, ReplyFormat } from "../vocabulary.js";

export interface MessageReply {
  text: string;
  format: ReplyFormat;
  data?: Record<string, unknown> | undefined;
}

export interface MessageRow {
  id: string;
  channel: MessageChannel;
  externalId: string | null;
  conversationId: string;
  senderId: string;
  senderName: string | null;
  type: MessageType;
  text: string;
  attachments: { kind: string; url?: string; name?: string }[] | null;
  replyToRef: string | null;
  correlationId: string;
  /** HTTP channel: the user whose token submitted it (they may read it back); null for Telegram. */
  submittedByUserId: string | null;
  status: MessageStatus;
  routeId: string | null;
  serviceId: string | null;
  serviceCode: string | null;
  commandId: string | null;
  errorCode: string | null;
  reply: MessageReply | null;
  receivedAt: string;
  answeredAt: string | null;
  deliveredAt: string | null;
  deliveryAttempts: number;
  /** Parts of a split reply already sent (a retry resumes after them). */
  deliveredParts: number;
  nextDeliveryAt: string | null;
}

const COLUMNS = `id, channel, external_id, conversation_id, sender_id, sender_name, type, text, attachments_json, reply_to_ref,
  correlation_id, submitted_by_user_id, status, route_id, service_id, service_code, command_id, error_code, reply_json, received_at, answered_at,
  delivered_at, delivery_attempts, delivered_parts, next_delivery_at`;

/** The statuses with a reply (their own or the configured one) to hand back to the channel. */
const REPLIED = `('ANSWERED', 'UNROUTED', 'FAILED', 'EXPIRED')`;

const sql = {
  // store; a channel re-delivering the same external id (Telegram after a crash) is stored once
  insert: `INSERT INTO conversation_messages (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT DO NOTHING`,
  // by id
  get: `SELECT ${COLUMNS} FROM conversation_messages WHERE id = ?`,
  // by the channel's own id (a re-delivered Telegram update)
  byExternal: `SELECT ${COLUMNS} FROM conversation_messages WHERE channel = ? AND external_id = ?`,
  // by the command that delivers it (index conversation_messages_command)
  byCommand: `SELECT ${COLUMNS} FROM conversation_messages WHERE command_id = ?`,
  // routing outcome (from RECEIVED only)
  routed: `UPDATE conversation_messages SET status = ?, route_id = ?, service_id = ?, service_code = ?, command_id = ?, error_code = ?,
           reply_json = ?, answered_at = ? WHERE id = ? AND status = 'RECEIVED'`,
  // the reply (or the failure) of a ROUTED message
  finish: `UPDATE conversation_messages SET status = ?, error_code = ?, reply_json = ?, answered_at = ? WHERE id = ? AND status = 'ROUTED'`,
  // replies a push channel still has to deliver, oldest first, skipping those backing off
  undelivered: `SELECT ${COLUMNS} FROM conversation_messages WHERE channel = ? AND delivered_at IS NULL AND status IN ${REPLIED}
                AND (next_delivery_at IS NULL OR next_delivery_at <= ?) ORDER BY received_at, id LIMIT ?`,
  // delivered
  delivered: `UPDATE conversation_messages SET delivered_at = ?, delivery_attempts = delivery_attempts + 1 WHERE id = ? AND delivered_at IS NULL`,
  // one more part of a split reply went out
  partSent: `UPDATE conversation_messages SET delivered_parts = ? WHERE id = ?`,
  // a failed delivery: try again later (or never: next_delivery_at far away and delivered_at stays NULL)
  deliveryFailed: `UPDATE conversation_messages SET delivery_attempts = delivery_attempts + 1, next_delivery_at = ? WHERE id = ?`,
};

type Raw = {
  id: string; channel: MessageChannel; external_id: string | null; conversation_id: string; sender_id: string; sender_name: string | null;
  type: MessageType; text: string; attachments_json: string | null; reply_to_ref: string | null; correlation_id: string; submitted_by_user_id: string | null; status: MessageStatus;
  route_id: string | null; service_id: string | null; service_code: string | null; command_id: string | null; error_code: string | null;
  reply_json: string | null; received_at: string; answered_at: string | null; delivered_at: string | null; delivery_attempts: number;
  delivered_parts: number; next_delivery_at: string | null;
};

const toRow = (r: Raw): MessageRow => ({
  id: r.id, channel: r.channel, externalId: r.external_id, conversationId: r.conversation_id, senderId: r.sender_id, senderName: r.sender_name,
  type: r.type, text: r.text, attachments: parseJson(r.attachments_json, null), replyToRef: r.reply_to_ref, correlationId: r.correlation_id,
  submittedByUserId: r.submitted_by_user_id, status: r.status, routeId: r.route_id, serviceId: r.service_id, serviceCode: r.service_code, commandId: r.command_id, errorCode: r.error_code,
  reply: parseJson<MessageReply | null>(r.reply_json, null), receivedAt: r.received_at, answeredAt: r.answered_at, deliveredAt: r.delivered_at,
  deliveryAttempts: Number(r.delivery_attempts), deliveredParts: Number(r.delivered_parts), nextDeliveryAt: r.next_delivery_at,
});

export type NewMessage = Pick<MessageRow, "id" | "channel" | "externalId" | "conversationId" | "senderId" | "senderName" | "type" | "text"
  | "attachments" | "replyToRef" | "correlationId" | "submittedByUserId" | "receivedAt">;

/** false when the channel already delivered this external id (nothing stored). */
export async function insertMessage(db: Db, m: NewMessage): Promise<boolean> {
  const r = await db.run(sql.insert, [m.id, m.channel, m.externalId, m.conversationId, m.senderId, m.senderName, m.type, m.text,
    m.attachments ? JSON.stringify(m.attachments) : null, m.replyToRef, m.correlationId, m.submittedByUserId, "RECEIVED", null, null, null, null, null, null,
    m.receivedAt, null, null, 0, 0, null]);
  return r.changes === 1;
}

export const getMessage = async (db: Db, id: string): Promise<MessageRow | undefined> => {
  const r = await db.get<Raw>(sql.get, [id]);
  return r && toRow(r);
};

export const messageByExternalId = async (db: Db, channel: MessageChannel, externalId: string): Promise<MessageRow | undefined> => {
  const r = await db.get<Raw>(sql.byExternal, [channel, externalId]);
  return r && toRow(r);
};

export const messageForCommand = async (db: Db, commandId: string): Promise<MessageRow | undefined> => {
  const r = await db.get<Raw>(sql.byCommand, [commandId]);
  return r && toRow(r);
};

export interface RoutingOutcome {
  status: MessageStatus;
  routeId: string | null;
  serviceId: string | null;
  serviceCode: string | null;
  commandId: string | null;
  errorCode: string | null;
  reply: MessageReply | null;
  answeredAt: string | null;
}

export async function setMessageRouting(db: Db, id: string, o: RoutingOutcome): Promise<boolean> {
  return (await db.run(sql.routed, [o.status, o.routeId, o.serviceId, o.serviceCode, o.commandId, o.errorCode,
    o.reply ? JSON.stringify(o.reply) : null, o.answeredAt, id])).changes === 1;
}

export async function finishMessage(db: Db, id: string, status: MessageStatus, errorCode: string | null, reply: MessageReply | null, nowIso: string): Promise<boolean> {
  return (await db.run(sql.finish, [status, errorCode, reply ? JSON.stringify(reply) : null, nowIso, id])).changes === 1;
}

export const undeliveredReplies = async (db: Db, channel: MessageChannel, nowIso: string, limit: number): Promise<MessageRow[]> =>
  (await db.all<Raw>(sql.undelivered, [channel, nowIso, limit])).map(toRow);

export const markReplyDelivered = async (db: Db, id: string, nowIso: string): Promise<boolean> =>
  (await db.run(sql.delivered, [nowIso, id])).changes === 1;

export const markPartDelivered = async (db: Db, id: string, parts: number): Promise<void> => {
  await db.run(sql.partSent, [parts, id]);
};

export const markDeliveryFailed = async (db: Db, id: string, nextAtIso: string): Promise<void> => {
  await db.run(sql.deliveryFailed, [nextAtIso, id]);
};

export interface MessageFilter {
  channel?: string[] | undefined;
  status?: string[] | undefined;
  conversationId?: string | undefined;
  serviceCode?: string[] | undefined;
}

export async function listMessages(db: Db, f: MessageFilter, page: number, pageSize: number): Promise<{ rows: MessageRow[]; total: number }> {
  const w = new Where().anyOf("channel", f.channel).anyOf("status", f.status).anyOf("service_code", f.serviceCode);
  if (f.conversationId) w.add("conversation_id = ?", f.conversationId);
  const total = Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM conversation_messages ${w.sql}`, w.params))!.n);
  const rows = await db.all<Raw>(`SELECT ${COLUMNS} FROM conversation_messages ${w.sql} ORDER BY received_at DESC, id DESC ${limitOffset(page, pageSize)}`, w.params);
  return { rows: rows.map(toRow), total };
}
