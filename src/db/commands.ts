// commands: one row per action run (prepare or execute) and its lifecycle.
import type { Db } from "./open.js";
import { skipLocked } from "./dialect.js";
import { Where, limitOffset, nullable, orderBy, parseJson, type SortColumn, type SortKey } from "./query.js";
import { TERMINAL_COMMAND_STATUSES, type CommandCreator, type CommandStatus, type CommandType } from "../vocabulary.js";

export type { CommandCreator, CommandStatus, CommandType } from "../vocabulary.js";
export const TERMINAL_STATUSES: readonly CommandStatus[] = TERMINAL_COMMAND_STATUSES;
export const isTerminal = (s: CommandStatus): boolean => TERMINAL_STATUSES.includes(s);

export interface CommandRow {
  id: string;
  agentId: string;
  serviceId: string;
  type: CommandType;
  actionName: string;
  status: CommandStatus;
  /** As stored: secret fields already replaced by "[REDACTED]". */
  payload: Record<string, unknown>;
  /** JSON pointers of secret fields (their values sealed in command_secrets until dispatch); null when there are none. */
  secretFields: string[] | null;
  createdByUserId: string | null;
  createdByType: CommandCreator;
  retryOf: string | null;
  sourceEventId: string | null;
  timeoutSeconds: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  progressPercent: number | null;
  progressMessage: string | null;
  logCount: number;
  logBytes: number;
  cancelRequestedAt: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  expiresAt: string;
  /** Set while a claimed command's delivery is unconfirmed (see domain/commands/delivery.ts). */
  deliveryLeaseUntil: string | null;
  /** Claims so far: 2 means it was delivered again after a lost answer. */
  deliveryAttempts: number;
}

export interface CommandFilter {
  status?: string[] | undefined;
  type?: string[] | undefined;
  actionName?: string[] | undefined;
  serviceId?: string[] | undefined;
  agentId?: string[] | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

const COLUMNS = `id, agent_id, service_id, type, action_name, status, payload_json, secret_fields_json, created_by_user_id,
  created_by_type, retry_of, source_event_id, timeout_seconds, error_code, error_message, progress_percent, progress_message,
  log_count, log_bytes, cancel_requested_at, created_at, started_at, completed_at, expires_at, delivery_lease_until, delivery_attempts`;
// finishedAt on the wire is completed_at (the reference calls the finish time completedAt)
export const COMMAND_SORT: Record<string, SortColumn> = { createdAt: "created_at", finishedAt: nullable("completed_at") };

const sql = {
  // create (PENDING, or AWAITING_APPROVAL for an action that needs approval)
  insert: `INSERT INTO commands (id, agent_id, service_id, type, action_name, status, payload_json, secret_fields_json,
    created_by_user_id, created_by_type, retry_of, source_event_id, timeout_seconds, created_at, expires_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // approval granted: AWAITING_APPROVAL -> PENDING, its pickup deadline counted from now
  release: `UPDATE commands SET status = 'PENDING', expires_at = ? WHERE id = ? AND status = 'AWAITING_APPROVAL'`,
  // by id
  get: `SELECT ${COLUMNS} FROM commands WHERE id = ?`,
  // poll candidates: the agent's oldest unexpired PENDING commands (index commands_poll)
  claimable: `SELECT id FROM commands WHERE agent_id = ? AND status = 'PENDING' AND expires_at > ? ORDER BY created_at, id LIMIT ?`,
  // the poll's look before it claims: one indexed read, no lock, no transaction (index commands_poll)
  anyClaimable: `SELECT 1 AS found FROM commands WHERE agent_id = ? AND status = 'PENDING' AND expires_at > ? LIMIT 1`,
  // parked-poll re-check (domain/wakeups.ts): agents with a claimable command (index commands_expiry)
  pendingAgents: `SELECT DISTINCT agent_id FROM commands WHERE status = 'PENDING' AND expires_at > ? LIMIT ?`,
  // the claim itself; the status guard makes two pollers unable to take the same row
  claim: `UPDATE commands SET status = 'RUNNING', started_at = ?, expires_at = ?, delivery_lease_until = ?,
    delivery_attempts = delivery_attempts + 1 WHERE id = ? AND status = 'PENDING'`,
  // the agent's first progress or result confirms a leased delivery
  confirm: `UPDATE commands SET delivery_lease_until = NULL WHERE id = ? AND status = 'RUNNING' AND delivery_lease_until IS NOT NULL`,
  // ... also after the sweep put it back: the agent had it after all (PENDING -> RUNNING again, confirmed)
  reclaim: `UPDATE commands SET status = 'RUNNING', started_at = ?, expires_at = ?, delivery_lease_until = NULL
    WHERE id = ? AND status = 'PENDING' AND delivery_attempts > 0`,
  // lease sweep: RUNNING commands whose delivery nobody confirmed (few rows: RUNNING ones only)
  lapsed: `SELECT ${COLUMNS} FROM commands WHERE status = 'RUNNING' AND delivery_lease_until <= ? ORDER BY delivery_lease_until LIMIT ?`,
  // back to the queue with a new pickup deadline
  requeue: `UPDATE commands SET status = 'PENDING', started_at = NULL, delivery_lease_until = NULL, expires_at = ?
    WHERE id = ? AND status = 'RUNNING' AND delivery_lease_until IS NOT NULL`,
  // any transition to a terminal status, guarded by the status the caller saw
  finish: `UPDATE commands SET status = ?, completed_at = ?, error_code = ?, error_message = ? WHERE id = ? AND status = ?`,
  // operator cancel: terminal at once, the agent learns it from cancel_requested_at on its next progress call
  cancel: `UPDATE commands SET status = 'CANCELLED', cancel_requested_at = ?, completed_at = ? WHERE id = ? AND status = ?`,
  // latest progress from the agent
  progress: `UPDATE commands SET progress_percent = coalesce(?, progress_percent), progress_message = coalesce(?, progress_message) WHERE id = ?`,
  // expiry sweep: PENDING or RUNNING past their deadline, oldest deadline first (index commands_expiry)
  expired: `SELECT ${COLUMNS} FROM commands WHERE status IN ('PENDING', 'RUNNING') AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
};

type RawRow = {
  id: string; agent_id: string; service_id: string; type: CommandType; action_name: string; status: CommandStatus;
  payload_json: string; secret_fields_json: string | null; created_by_user_id: string | null; created_by_type: CommandCreator;
  retry_of: string | null; source_event_id: string | null; timeout_seconds: number | null; error_code: string | null;
  error_message: string | null; progress_percent: number | null; progress_message: string | null; log_count: number;
  log_bytes: number; cancel_requested_at: string | null; created_at: string; started_at: string | null;
  completed_at: string | null; expires_at: string; delivery_lease_until: string | null; delivery_attempts: number;
};

const toRow = (r: RawRow): CommandRow => ({
  id: r.id,
  agentId: r.agent_id,
  serviceId: r.service_id,
  type: r.type,
  actionName: r.action_name,
  status: r.status,
  payload: parseJson<Record<string, unknown>>(r.payload_json, {}),
  secretFields: parseJson<string[] | null>(r.secret_fields_json, null),
  createdByUserId: r.created_by_user_id,
  createdByType: r.created_by_type,
  retryOf: r.retry_of,
  sourceEventId: r.source_event_id,
  timeoutSeconds: r.timeout_seconds,
  errorCode: r.error_code,
  errorMessage: r.error_message,
  progressPercent: r.progress_percent,
  progressMessage: r.progress_message,
  logCount: r.log_count,
  logBytes: r.log_bytes,
  cancelRequestedAt: r.cancel_requested_at,
  createdAt: r.created_at,
  startedAt: r.started_at,
  completedAt: r.completed_at,
  expiresAt: r.expires_at,
  deliveryLeaseUntil: r.delivery_lease_until,
  deliveryAttempts: Number(r.delivery_attempts),
});

export type NewCommand = Pick<
  CommandRow,
  "id" | "agentId" | "serviceId" | "type" | "actionName" | "payload" | "secretFields" | "createdByUserId" | "createdByType"
  | "retryOf" | "sourceEventId" | "timeoutSeconds" | "createdAt" | "expiresAt"
> & { /** PENDING when absent. */ status?: "PENDING" | "AWAITING_APPROVAL" };

export async function insertCommand(db: Db, c: NewCommand): Promise<void> {
  await db.run(sql.insert, [c.id, c.agentId, c.serviceId, c.type, c.actionName, c.status ?? "PENDING", JSON.stringify(c.payload),
    c.secretFields && c.secretFields.length ? JSON.stringify(c.secretFields) : null,
    c.createdByUserId, c.createdByType, c.retryOf, c.sourceEventId, c.timeoutSeconds, c.createdAt, c.expiresAt]);
}

export const getCommand = async (db: Db, id: string): Promise<CommandRow | undefined> => {
  const r = await db.get<RawRow>(sql.get, [id]);
  return r && toRow(r);
};

/** Run inside the claim's transaction: on PostgreSQL the rows stay locked until it ends, and another node skips them. */
export const claimableCommandIds = async (db: Db, agentId: string, nowIso: string, limit: number): Promise<string[]> =>
  (await db.all<{ id: string }>(sql.claimable + skipLocked(db.kind), [agentId, nowIso, limit])).map((r) => r.id);

/** Whether the agent has a claimable command now, read without a lock (the claim transaction re-checks). */
export const hasClaimableCommand = async (db: Db, agentId: string, nowIso: string): Promise<boolean> =>
  (await db.get<{ found: number }>(sql.anyClaimable, [agentId, nowIso])) !== undefined;

/** Agents that have at least one claimable (PENDING, unexpired) command; at most `limit`. */
export const agentsWithPendingCommands = async (db: Db, nowIso: string, limit: number): Promise<string[]> =>
  (await db.all<{ agent_id: string }>(sql.pendingAgents, [nowIso, limit])).map((r) => r.agent_id);

/** PENDING -> RUNNING (with a delivery lease, or null); false when another poller (or a cancel) got there first. */
export const claimCommand = async (db: Db, id: string, startedAt: string, expiresAt: string, leaseUntil: string | null = null): Promise<boolean> =>
  (await db.run(sql.claim, [startedAt, expiresAt, leaseUntil, id])).changes === 1;

/** Clears a RUNNING command's delivery lease; false when there was none. */
export const confirmDelivery = async (db: Db, id: string): Promise<boolean> => (await db.run(sql.confirm, [id])).changes === 1;

/** A command put back after a lapsed lease, claimed again by its agent's progress or result; false when not such a command. */
export const reclaimCommand = async (db: Db, id: string, startedAt: string, expiresAt: string): Promise<boolean> =>
  (await db.run(sql.reclaim, [startedAt, expiresAt, id])).changes === 1;

/** RUNNING commands whose delivery lease ended at or before `nowIso`, oldest first. */
export const lapsedDeliveries = async (db: Db, nowIso: string, limit: number): Promise<CommandRow[]> =>
  (await db.all<RawRow>(sql.lapsed, [nowIso, limit])).map(toRow);

/** RUNNING with an unconfirmed lease -> PENDING with a new pickup deadline; false when it changed meanwhile. */
export const requeueCommand = async (db: Db, id: string, expiresAt: string): Promise<boolean> =>
  (await db.run(sql.requeue, [expiresAt, id])).changes === 1;

/** `from` -> a terminal status; false when the row is no longer in `from`. */
export async function finishCommand(
  db: Db, id: string, from: CommandStatus, to: CommandStatus, completedAt: string,
  error: { code: string; message: string | null } | null = null,
): Promise<boolean> {
  return (await db.run(sql.finish, [to, completedAt, error?.code ?? null, error?.message ?? null, id, from])).changes === 1;
}

/** AWAITING_APPROVAL -> PENDING with a new pickup deadline; false when it is no longer awaiting approval. */
export const releaseCommand = async (db: Db, id: string, expiresAt: string): Promise<boolean> =>
  (await db.run(sql.release, [expiresAt, id])).changes === 1;

export const cancelCommand = async (db: Db, id: string, from: CommandStatus, nowIso: string): Promise<boolean> =>
  (await db.run(sql.cancel, [nowIso, nowIso, id, from])).changes === 1;

export const setCommandProgress = async (db: Db, id: string, percent: number | null, message: string | null): Promise<void> => {
  await db.run(sql.progress, [percent, message, id]);
};

export const expiredCommands = async (db: Db, nowIso: string, limit: number): Promise<CommandRow[]> =>
  (await db.all<RawRow>(sql.expired, [nowIso, limit])).map(toRow);

function whereOf(f: CommandFilter): Where {
  const w = new Where()
    .anyOf("status", f.status)
    .anyOf("type", f.type)
    .anyOf("action_name", f.actionName)
    .anyOf("service_id", f.serviceId)
    .anyOf("agent_id", f.agentId);
  if (f.from) w.add("created_at >= ?", f.from);
  if (f.to) w.add("created_at <= ?", f.to);
  return w;
}

export async function listCommands(db: Db, f: CommandFilter, sort: SortKey[], page: number, pageSize: number): Promise<{ rows: CommandRow[]; total: number }> {
  const w = whereOf(f);
  const total = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM commands ${w.sql}`, w.params))!.n;
  const rows = await db.all<RawRow>(`SELECT ${COLUMNS} FROM commands ${w.sql} ${orderBy(sort, COMMAND_SORT)} ${limitOffset(page, pageSize)}`, w.params);
  return { rows: rows.map(toRow), total };
}
