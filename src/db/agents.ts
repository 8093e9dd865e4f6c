// agents: embedded agents and their stored status; the effective status is derived from heartbeat age.
import type { Db } from "./open.js";
import { lockRows, unlessLocked, type DialectKind } from "./dialect.js";
import { inValueChunks, Where, limitOffset, nullable, orderBy, type SortColumn, type SortKey } from "./query.js";
import { AGENT_STATUSES, type AgentStatus } from "../vocabulary.js";

export type { AgentStatus } from "../vocabulary.js";

export interface AgentRow {
  id: string; code: string; name: string | null; mode: string; runtime: string | null;
  version: string | null; hostname: string | null; os: string | null; arch: string | null;
  status: AgentStatus; lastHeartbeatAt: string | null;
  registeredAt: string; createdAt: string; updatedAt: string;
}

export interface AgentFacts {
  name: string | null; mode: string; runtime: string | null; version: string | null;
  hostname: string | null; os: string | null; arch: string | null;
}

const COLUMNS = `id, code, name, mode, runtime, version, hostname, os, arch, status, last_heartbeat_at, registered_at, created_at, updated_at`;
export const AGENT_SORT: Record<string, SortColumn> = { createdAt: "created_at", lastSeenAt: nullable("last_heartbeat_at"), name: nullable("name") };

/** Last contact: registration counts too, so a freshly (re-)enrolled agent is not OFFLINE before its first heartbeat. */
// (CASE, not scalar MAX(a, b): PostgreSQL has no two-argument MAX and SQLite no GREATEST; a NULL heartbeat falls to ELSE)
export const agentContactSql = (a: string): string =>
  `CASE WHEN ${a}.last_heartbeat_at > ${a}.registered_at THEN ${a}.last_heartbeat_at ELSE ${a}.registered_at END`;

/**
 * Effective agent status as SQL (one bound parameter: the offline cutoff ISO time). Must agree with
 * effectiveAgentStatus() in domain/status.ts; test/db/agents.test.ts checks both on the same rows.
 */
export const effectiveAgentStatusSql = (a: string): string => `CASE
  WHEN ${a}.status IN ('DISABLED', 'REVOKED') THEN ${a}.status
  WHEN ${agentContactSql(a)} < ? THEN 'OFFLINE'
  WHEN ${a}.last_heartbeat_at IS NULL OR ${a}.last_heartbeat_at < ${a}.registered_at THEN 'PENDING'
  ELSE 'ONLINE' END`;

const sql = {
  // by id
  get: `SELECT ${COLUMNS} FROM agents WHERE id = ?`,
  // registration: identity is the code
  byCode: `SELECT ${COLUMNS} FROM agents WHERE code = ?`,
  // create at registration
  insert: `INSERT INTO agents (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // re-enrolment: new facts, new registration time, status decided by the domain
  reenrol: `UPDATE agents SET name = ?, mode = ?, runtime = ?, version = ?, hostname = ?, os = ?, arch = ?, status = ?,
            registered_at = ?, updated_at = ? WHERE id = ?`,
  // operator transitions
  setStatus: `UPDATE agents SET status = ?, updated_at = ? WHERE id = ?`,
  // flush of coalesced contacts, (id, time) rows (query.ts inValueChunks); never moves a timestamp backwards
  contactsIfNewer: (values: string, kind: DialectKind) => `UPDATE agents SET last_heartbeat_at = v.column2 FROM (VALUES ${values}) AS v
    WHERE agents.id = v.column1 AND (agents.last_heartbeat_at IS NULL OR agents.last_heartbeat_at < v.column2)${unlessLocked(kind, "agents")}`,
  // first contacts of a batch (recordFirstContacts), set-wise: the rows locked in id order, then (id, time[, window start]) rows;
  // the contact time never moves backwards; the transition only from PENDING or OFFLINE; the heartbeat audit
  // sample claimed only when the last one is older than the window; both return the agents they changed
  lockBatch: (n: number, kind: DialectKind) => `SELECT ${COLUMNS} FROM agents WHERE id IN (${Array(n).fill("?").join(", ")}) ORDER BY id${lockRows(kind)}`,
  contactsAt: (values: string) => `UPDATE agents SET last_heartbeat_at = v.column2 FROM (VALUES ${values}) AS v
    WHERE agents.id = v.column1 AND (agents.last_heartbeat_at IS NULL OR agents.last_heartbeat_at < v.column2)`,
  onlineAt: (values: string) => `UPDATE agents SET status = 'ONLINE', updated_at = v.column2 FROM (VALUES ${values}) AS v
    WHERE agents.id = v.column1 AND agents.status IN ('PENDING', 'OFFLINE') RETURNING id`,
  claimAuditAt: (values: string) => `UPDATE agents SET last_heartbeat_audit_at = v.column2 FROM (VALUES ${values}) AS v
    WHERE agents.id = v.column1 AND (agents.last_heartbeat_audit_at IS NULL OR agents.last_heartbeat_audit_at <= v.column3) RETURNING id`,
  // when the last heartbeat audit sample was written (a node learning an agent it has not seen yet)
  lastSample: `SELECT last_heartbeat_audit_at FROM agents WHERE id = ?`,
  // sweep candidates: stored ONLINE/PENDING whose last contact is past the cutoff
  staleOnline: `SELECT ${COLUMNS} FROM agents a WHERE a.status IN ('ONLINE', 'PENDING') AND ${agentContactSql("a")} < ? ORDER BY a.last_heartbeat_at LIMIT ?`,
  // sweep write; re-checks the condition so a heartbeat that raced the sweep wins
  markOffline: `UPDATE agents AS a SET status = 'OFFLINE', updated_at = ? WHERE a.id = ? AND a.status IN ('ONLINE', 'PENDING') AND ${agentContactSql("a")} < ?`,
  // dashboard/metrics counts by effective status
  countByStatus: `SELECT ${effectiveAgentStatusSql("a")} AS status, COUNT(*) AS n FROM agents a GROUP BY 1`,
};

type RawRow = {
  id: string; code: string; name: string | null; mode: string; runtime: string | null; version: string | null;
  hostname: string | null; os: string | null; arch: string | null; status: AgentStatus; last_heartbeat_at: string | null;
  registered_at: string; created_at: string; updated_at: string;
};

const toRow = (r: RawRow): AgentRow => ({
  id: r.id, code: r.code, name: r.name, mode: r.mode, runtime: r.runtime, version: r.version,
  hostname: r.hostname, os: r.os, arch: r.arch, status: r.status, lastHeartbeatAt: r.last_heartbeat_at,
  registeredAt: r.registered_at, createdAt: r.created_at, updatedAt: r.updated_at,
});

export async function getAgent(db: Db, id: string): Promise<AgentRow | undefined> {
  const r = await db.get<RawRow>(sql.get, [id]);
  return r && toRow(r);
}

export async function getAgentByCode(db: Db, code: string): Promise<AgentRow | undefined> {
  const r = await db.get<RawRow>(sql.byCode, [code]);
  return r && toRow(r);
}

export async function insertAgent(db: Db, a: AgentRow): Promise<void> {
  await db.run(sql.insert, [a.id, a.code, a.name, a.mode, a.runtime, a.version, a.hostname, a.os, a.arch, a.status,
    a.lastHeartbeatAt, a.registeredAt, a.createdAt, a.updatedAt]);
}

export async function reenrolAgent(db: Db, id: string, f: AgentFacts, status: AgentStatus, nowIso: string): Promise<void> {
  await db.run(sql.reenrol, [f.name, f.mode, f.runtime, f.version, f.hostname, f.os, f.arch, status, nowIso, nowIso, id]);
}

export const setAgentStatus = async (db: Db, id: string, status: AgentStatus, nowIso: string): Promise<void> => {
  await db.run(sql.setStatus, [status, nowIso, id]);
};

/** What one batch of first contacts changed (recordFirstContacts). */
export interface FirstContactsWritten {
  /** The agents as they were before the batch (absent: no such agent). */
  before: Map<string, AgentRow>;
  /** Agents that moved PENDING/OFFLINE -> ONLINE. */
  wentOnline: Set<string>;
  /** Agents whose heartbeat audit sample this batch claimed (none since their window start). */
  claimed: Set<string>;
}

/**
 * First contacts of a batch of agents, inside the caller's transaction, in four statements whatever
 * the batch's size (one per agent and step made a batch ~5 round trips per agent, each waiting for a
 * busy node's event loop while a fleet connected: bench/pg-vs-sqlite.mjs hold). Rows are locked in id
 * order first (PostgreSQL), then the contact time, the transition and the sample claim are written
 * set-wise. An agent listed twice is written once.
 */
export async function recordFirstContacts(db: Db, contacts: readonly { id: string; nowIso: string; windowStartIso: string }[]): Promise<FirstContactsWritten> {
  const ids = [...new Set(contacts.map((c) => c.id))];
  const rows = await db.all<RawRow>(sql.lockBatch(ids.length, db.kind), ids);
  const before = new Map(rows.map((r) => [r.id, toRow(r)]));
  const wentOnline = new Set<string>();
  const claimed = new Set<string>();
  const found = contacts.filter((c) => before.has(c.id));
  if (found.length) {
    const contactRows = found.map((c) => [c.id, c.nowIso]);
    await inValueChunks(contactRows, (values, params) => db.run(sql.contactsAt(values), params));
    await inValueChunks(contactRows, async (values, params) => {
      for (const r of await db.all<{ id: string }>(sql.onlineAt(values), params)) wentOnline.add(r.id);
    });
    await inValueChunks(found.map((c) => [c.id, c.nowIso, c.windowStartIso]), async (values, params) => {
      for (const r of await db.all<{ id: string }>(sql.claimAuditAt(values), params)) claimed.add(r.id);
    });
  }
  return { before, wentOnline, claimed };
}

/**
 * Writes buffered last-contact times (see domain/contacts.ts): one statement per chunk of agents,
 * not one per agent. No enclosing transaction: each statement is atomic on its own, a chunk's row
 * locks are held for that statement only (two nodes flushing overlapping agents never hold each
 * other's locks across a batch), and a failed chunk leaves the others written. An agent whose row a
 * transaction holds (its first contact, which writes the contact time itself) is left
 * out on PostgreSQL rather than waited for: a flush that waited held its locks on the rows before,
 * which those transactions then waited for, while a fleet connected. Its next contact is buffered anew.
 */
export async function writeContacts(db: Db, contacts: Iterable<[string, string]>): Promise<void> {
  await inValueChunks([...contacts], (values, params) => db.run(sql.contactsIfNewer(values, db.kind), params));
}

export const lastHeartbeatSampleAt = async (db: Db, id: string): Promise<string | null> =>
  (await db.get<{ last_heartbeat_audit_at: string | null }>(sql.lastSample, [id]))?.last_heartbeat_audit_at ?? null;

export const listAgentsPastCutoff = async (db: Db, cutoffIso: string, limit: number): Promise<AgentRow[]> =>
  (await db.all<RawRow>(sql.staleOnline, [cutoffIso, limit])).map(toRow);

export const markAgentOffline = async (db: Db, id: string, cutoffIso: string, nowIso: string): Promise<boolean> =>
  (await db.run(sql.markOffline, [nowIso, id, cutoffIso])).changes === 1;

export async function countAgentsByStatus(db: Db, offlineCutoffIso: string): Promise<Record<AgentStatus, number>> {
  const out = Object.fromEntries(AGENT_STATUSES.map((s) => [s, 0])) as Record<AgentStatus, number>;
  for (const r of await db.all<{ status: AgentStatus; n: number }>(sql.countByStatus, [offlineCutoffIso])) out[r.status] = r.n;
  return out;
}

export interface AgentFilter {
  status?: string[] | undefined;
  q?: string | undefined;
}

/** Lists agents; the status filter applies to the effective status (offline cutoff bound as a parameter). */
export async function listAgents(
  db: Db, f: AgentFilter, offlineCutoffIso: string, sort: SortKey[], page: number, pageSize: number,
): Promise<{ rows: AgentRow[]; total: number }> {
  const w = new Where().search(["a.code", "a.name"], f.q);
  if (f.status?.length) w.add(`(${effectiveAgentStatusSql("a")}) IN (${f.status.map(() => "?").join(", ")})`, offlineCutoffIso, ...f.status);
  const total = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM agents a ${w.sql}`, w.params))!.n;
  const rows = await db.all<RawRow>(`SELECT ${COLUMNS} FROM agents a ${w.sql} ${orderBy(sort, AGENT_SORT)} ${limitOffset(page, pageSize)}`, w.params);
  return { rows: rows.map(toRow), total };
}
