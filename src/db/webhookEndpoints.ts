// webhook_endpoints: where notifications go (owner-managed), their sealed signing secret, health
// (failing since) and the delivery lease that keeps one delivery in flight per endpoint across nodes.
import type { Db } from "./open.js";
import { skipLocked } from "./dialect.js";
import { parseJson, toBool } from "./query.js";
import type { WebhookFormat } from "../vocabulary.js";

export interface WebhookEndpointRow {
  id: string;
  name: string;
  url: string;
  format: WebhookFormat;
  events: string[];
  enabled: boolean;
  secretSealed: string;
  disabledReason: string | null;
  failingSince: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

const COLUMNS = `id, name, url, format, events_json, enabled, secret_sealed, disabled_reason, failing_since, last_success_at,
  last_failure_at, created_by, created_at, updated_at`;

const sql = {
  // by id
  get: `SELECT ${COLUMNS} FROM webhook_endpoints WHERE id = ?`,
  // all, for the list (owners configure a handful)
  list: `SELECT ${COLUMNS} FROM webhook_endpoints ORDER BY created_at, id LIMIT 500`,
  // enabled endpoints, for fan-out of one event (the domain filters by subscribed type)
  enabled: `SELECT ${COLUMNS} FROM webhook_endpoints WHERE enabled = 1 ORDER BY id`,
  // failing or disabled by the system: the dashboard's "needs attention"
  attention: `SELECT ${COLUMNS} FROM webhook_endpoints WHERE failing_since IS NOT NULL OR disabled_reason IS NOT NULL ORDER BY name, id LIMIT ?`,
  // create
  insert: `INSERT INTO webhook_endpoints (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // full rewrite of the editable fields (the domain merges a PATCH first); enabling clears the failure state
  update: `UPDATE webhook_endpoints SET name = ?, url = ?, format = ?, events_json = ?, enabled = ?, disabled_reason = ?, failing_since = ?,
           updated_at = ? WHERE id = ?`,
  // delete (deliveries cascade)
  remove: `DELETE FROM webhook_endpoints WHERE id = ?`,
  // endpoints whose oldest pending delivery is due and that no live lease holds (locked rows skipped on PostgreSQL)
  due: `SELECT e.id FROM webhook_endpoints e
        WHERE e.enabled = 1 AND (e.lease_until IS NULL OR e.lease_until < ?)
          AND (SELECT d.next_attempt_at FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'PENDING' ORDER BY d.seq LIMIT 1) <= ?
        ORDER BY e.id LIMIT ?`,
  // take the lease; the guard makes it atomic on both engines (two nodes: one gets changes = 1)
  lease: `UPDATE webhook_endpoints SET lease_owner = ?, lease_until = ? WHERE id = ? AND enabled = 1 AND (lease_until IS NULL OR lease_until < ?)`,
  // extend a lease this node holds
  renew: `UPDATE webhook_endpoints SET lease_until = ? WHERE id = ? AND lease_owner = ?`,
  // give it back
  release: `UPDATE webhook_endpoints SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?`,
  // an attempt succeeded
  succeeded: `UPDATE webhook_endpoints SET failing_since = NULL, last_success_at = ? WHERE id = ?`,
  // an attempt failed: failing since the first failure after the last success
  failed: `UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?), last_failure_at = ? WHERE id = ?`,
  // disabled by the system after continuous failure
  autoDisable: `UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ? AND enabled = 1`,
};

type Raw = {
  id: string; name: string; url: string; format: WebhookFormat; events_json: string; enabled: number; secret_sealed: string;
  disabled_reason: string | null; failing_since: string | null; last_success_at: string | null; last_failure_at: string | null;
  created_by: string | null; created_at: string; updated_at: string;
};

const toRow = (r: Raw): WebhookEndpointRow => ({
  id: r.id, name: r.name, url: r.url, format: r.format, events: parseJson<string[]>(r.events_json, []), enabled: toBool(r.enabled),
  secretSealed: r.secret_sealed, disabledReason: r.disabled_reason, failingSince: r.failing_since, lastSuccessAt: r.last_success_at,
  lastFailureAt: r.last_failure_at, createdBy: r.created_by, createdAt: r.created_at, updatedAt: r.updated_at,
});

export async function getWebhookEndpoint(db: Db, id: string): Promise<WebhookEndpointRow | undefined> {
  const r = await db.get<Raw>(sql.get, [id]);
  return r && toRow(r);
}

export const listWebhookEndpoints = async (db: Db): Promise<WebhookEndpointRow[]> => (await db.all<Raw>(sql.list)).map(toRow);
export const enabledWebhookEndpoints = async (db: Db): Promise<WebhookEndpointRow[]> => (await db.all<Raw>(sql.enabled)).map(toRow);
export const webhookEndpointsNeedingAttention = async (db: Db, limit: number): Promise<WebhookEndpointRow[]> =>
  (await db.all<Raw>(sql.attention, [limit])).map(toRow);

export async function insertWebhookEndpoint(db: Db, e: WebhookEndpointRow): Promise<void> {
  await db.run(sql.insert, [e.id, e.name, e.url, e.format, JSON.stringify(e.events), e.enabled, e.secretSealed, e.disabledReason, e.failingSince,
    e.lastSuccessAt, e.lastFailureAt, e.createdBy, e.createdAt, e.updatedAt]);
}

export async function updateWebhookEndpoint(db: Db, e: WebhookEndpointRow): Promise<void> {
  await db.run(sql.update, [e.name, e.url, e.format, JSON.stringify(e.events), e.enabled, e.disabledReason, e.failingSince, e.updatedAt, e.id]);
}

export const deleteWebhookEndpoint = async (db: Db, id: string): Promise<boolean> => (await db.run(sql.remove, [id])).changes === 1;

/**
 * Up to `limit` endpoints with a due head delivery and no live lease (candidates: leaseWebhookEndpoint
 * decides). `lock`: inside the claiming transaction, skip rows another node has locked (PostgreSQL).
 */
export const dueWebhookEndpoints = async (db: Db, nowIso: string, limit: number, lock: boolean): Promise<string[]> =>
  (await db.all<{ id: string }>(sql.due + (lock ? skipLocked(db.kind) : ""), [nowIso, nowIso, limit])).map((r) => r.id);

export const leaseWebhookEndpoint = async (db: Db, id: string, owner: string, untilIso: string, nowIso: string): Promise<boolean> =>
  (await db.run(sql.lease, [owner, untilIso, id, nowIso])).changes === 1;
export const renewWebhookLease = async (db: Db, id: string, owner: string, untilIso: string): Promise<boolean> =>
  (await db.run(sql.renew, [untilIso, id, owner])).changes === 1;
export async function releaseWebhookLease(db: Db, id: string, owner: string): Promise<void> {
  await db.run(sql.release, [id, owner]);
}

export async function markEndpointSucceeded(db: Db, id: string, nowIso: string): Promise<void> {
  await db.run(sql.succeeded, [nowIso, id]);
}
export async function markEndpointFailed(db: Db, id: string, nowIso: string): Promise<void> {
  await db.run(sql.failed, [nowIso, nowIso, id]);
}
export const autoDisableWebhookEndpoint = async (db: Db, id: string, reason: string, nowIso: string): Promise<boolean> =>
  (await db.run(sql.autoDisable, [reason, nowIso, id])).changes === 1;
