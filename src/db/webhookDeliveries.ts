// webhook_deliveries: the durable outbox. One row per (event, endpoint), written in the transaction of
// the audit event it comes from; delivered in seq order per endpoint; the row keeps the last attempt
// (status, duration, bounded response excerpt) as the delivery log.
import type { Db } from "./open.js";
import type { WebhookDeliveryStatus } from "../vocabulary.js";

export interface WebhookDeliveryRow {
  id: string;
  endpointId: string;
  messageId: string;
  eventType: string;
  /** The event envelope {type, timestamp, data} as stored: the exact bytes signed and sent (format standard). */
  body: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  createdAt: string;
  lastAttemptAt: string | null;
  responseStatus: number | null;
  durationMs: number | null;
  error: string | null;
  responseExcerpt: string | null;
}

export interface AttemptOutcome {
  status: WebhookDeliveryStatus;
  nextAttemptAt: string;
  attemptedAt: string;
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
}

const COLUMNS = `id, endpoint_id, message_id, event_type, body_json, status, attempts, next_attempt_at, created_at, last_attempt_at,
  response_status, duration_ms, error, response_excerpt`;

const sql = {
  // enqueue (seq assigned by the database: queue order)
  insert: `INSERT INTO webhook_deliveries (id, endpoint_id, message_id, event_type, body_json, status, attempts, next_attempt_at, created_at)
           VALUES (?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)`,
  // by id
  get: `SELECT ${COLUMNS} FROM webhook_deliveries WHERE id = ?`,
  // the head of an endpoint's queue: the oldest pending delivery (index webhook_deliveries_queue)
  head: `SELECT ${COLUMNS} FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'PENDING' ORDER BY seq LIMIT 1`,
  // the delivery log of one endpoint, newest first
  recent: `SELECT ${COLUMNS} FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY seq DESC LIMIT ?`,
  // record one attempt; guarded by status so a late writer cannot undo a recorded outcome
  attempt: `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_attempt_at = ?, response_status = ?,
            duration_ms = ?, error = ?, response_excerpt = ? WHERE id = ? AND status = 'PENDING'`,
  // an owner re-enabled the endpoint: what waits in its queue is due now
  resume: `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE endpoint_id = ? AND status = 'PENDING' AND next_attempt_at > ?`,
  // pending deliveries of one endpoint (console)
  pendingCount: `SELECT COUNT(*) AS n FROM webhook_deliveries WHERE endpoint_id = ? AND status = 'PENDING'`,
  // retention: finished deliveries before the cutoff, oldest first, bounded
  deleteBefore: `DELETE FROM webhook_deliveries WHERE seq IN (SELECT seq FROM webhook_deliveries WHERE status <> 'PENDING' AND created_at < ? ORDER BY seq LIMIT ?)`,
};

type Raw = {
  id: string; endpoint_id: string; message_id: string; event_type: string; body_json: string; status: WebhookDeliveryStatus; attempts: number;
  next_attempt_at: string; created_at: string; last_attempt_at: string | null; response_status: number | null; duration_ms: number | null;
  error: string | null; response_excerpt: string | null;
};

const toRow = (r: Raw): WebhookDeliveryRow => ({
  id: r.id, endpointId: r.endpoint_id, messageId: r.message_id, eventType: r.event_type, body: r.body_json, status: r.status,
  attempts: r.attempts, nextAttemptAt: r.next_attempt_at, createdAt: r.created_at, lastAttemptAt: r.last_attempt_at,
  responseStatus: r.response_status, durationMs: r.duration_ms, error: r.error, responseExcerpt: r.response_excerpt,
});

export async function insertWebhookDelivery(db: Db, d: { id: string; endpointId: string; messageId: string; eventType: string; body: string; nowIso: string }): Promise<void> {
  await db.run(sql.insert, [d.id, d.endpointId, d.messageId, d.eventType, d.body, d.nowIso, d.nowIso]);
}

export async function getWebhookDelivery(db: Db, id: string): Promise<WebhookDeliveryRow | undefined> {
  const r = await db.get<Raw>(sql.get, [id]);
  return r && toRow(r);
}

export async function headWebhookDelivery(db: Db, endpointId: string): Promise<WebhookDeliveryRow | undefined> {
  const r = await db.get<Raw>(sql.head, [endpointId]);
  return r && toRow(r);
}

export const recentWebhookDeliveries = async (db: Db, endpointId: string, limit: number): Promise<WebhookDeliveryRow[]> =>
  (await db.all<Raw>(sql.recent, [endpointId, limit])).map(toRow);

export const pendingWebhookDeliveries = async (db: Db, endpointId: string): Promise<number> =>
  (await db.get<{ n: number }>(sql.pendingCount, [endpointId]))!.n;

export const recordWebhookAttempt = async (db: Db, id: string, o: AttemptOutcome): Promise<boolean> =>
  (await db.run(sql.attempt, [o.status, o.nextAttemptAt, o.attemptedAt, o.responseStatus, o.durationMs, o.error, o.responseExcerpt, id])).changes === 1;

export async function resumeWebhookDeliveries(db: Db, endpointId: string, nowIso: string): Promise<void> {
  await db.run(sql.resume, [nowIso, endpointId, nowIso]);
}

export const deleteWebhookDeliveriesBefore = async (db: Db, cutoffIso: string, limit: number): Promise<number> =>
  (await db.run(sql.deleteBefore, [cutoffIso, limit])).changes;
