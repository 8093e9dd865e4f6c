// capsule_services: identity (code), owner, manifest and the denormalised latest health.
// Health reports, configs and actions live in serviceParts.ts (imported from there).
import type { Db } from "./open.js";
import { inValueChunks, Where, limitOffset, nullable, orderBy, parseJson, type SortColumn, type SortKey } from "./query.js";
import { agentContactSql } from "./agents.js";
import { capabilityFilterSql, manifestPackageNameSql } from "./dialect.js";
import { packageUnapprovedSql } from "./servicePackages.js";

import { EFFECTIVE_SERVICE_STATUSES, SERVICE_STATUSES, type EffectiveServiceStatus, type HealthStatus, type ServiceStatus } from "../vocabulary.js";

export type { HealthStatus, ServiceStatus } from "../vocabulary.js";

export interface ServiceRow {
  id: string; agentId: string | null; code: string; name: string; description: string | null;
  version: string | null; runtime: string | null; manifest: Record<string, unknown>; storedStatus: string;
  healthStatus: HealthStatus; lastReportedAt: string | null; lastHealthAt: string | null;
  releasedAt: string | null; createdAt: string; updatedAt: string;
  /** manifest.package as reported (migration 015); null: no package. */
  packageName: string | null; packageVersion: string | null; packageDigest: string | null;
  /** Read time: false when the package version (or digest) has no APPROVED install request for the agent. */
  packageApproved: boolean;
}
/** Rows of list queries: the manifest (up to 256 KiB each) is left out. */
export type ServiceListRow = Omit<ServiceRow, "manifest">;

const LIST_COLUMNS = `s.id, s.agent_id, s.code, s.name, s.description, s.version, s.runtime, s.stored_status, s.health_status,
  s.last_reported_at, s.last_health_at, s.released_at, s.created_at, s.updated_at, s.package_name, s.package_version, s.package_digest,
  ${packageUnapprovedSql} AS package_unapproved`;
const COLUMNS = `${LIST_COLUMNS}, s.manifest_json`;
/** What a heartbeat's health decision reads of a service (ServiceHealthFacts). */
const HEALTH_FACTS = "agent_id, last_health_at, last_health_fingerprint";
export const SERVICE_SORT: Record<string, SortColumn> = { createdAt: "s.created_at", lastReportedAt: nullable("s.last_reported_at"), code: "s.code", name: "s.name" };

/**
 * Effective service status as SQL over `s` joined LEFT with its agent `a`; two bound parameters:
 * the agent offline cutoff and the health stale cutoff. Must agree with effectiveServiceStatus().
 */
export const effectiveServiceStatusSql = `CASE
  WHEN s.released_at IS NOT NULL OR a.id IS NULL OR a.status IN ('DISABLED', 'REVOKED', 'OFFLINE') THEN 'OFFLINE'
  WHEN ${agentContactSql("a")} < ? THEN 'STALE'
  WHEN s.last_health_at IS NOT NULL AND s.last_health_at < ? THEN 'STALE'
  WHEN s.health_status = 'UP' THEN 'HEALTHY'
  WHEN s.health_status IN ('DEGRADED', 'DOWN') THEN 'UNHEALTHY'
  ELSE 'UNKNOWN' END`;

/**
 * The wire's status: the effective status, or with the package policy enforced, QUARANTINED for a
 * service that is not OFFLINE and runs an unapproved package (then the two cutoffs are bound twice:
 * cutoffParams). Must agree with wireServiceStatus() in src/domain/status.ts.
 */
const wireServiceStatusSql = (enforce: boolean): string => !enforce ? effectiveServiceStatusSql
  : `CASE WHEN (${effectiveServiceStatusSql}) <> 'OFFLINE' AND (${packageUnapprovedSql}) = 1 THEN 'QUARANTINED' ELSE (${effectiveServiceStatusSql}) END`;
const cutoffParams = (c: Cutoffs): string[] =>
  c.enforcePackages ? [c.offlineBefore, c.healthStaleBefore, c.offlineBefore, c.healthStaleBefore] : [c.offlineBefore, c.healthStaleBefore];

export interface ServiceWrite {
  id: string; agentId: string; code: string; name: string; description: string | null; version: string | null;
  runtime: string | null; manifestJson: string; nowIso: string;
  packageName: string | null; packageVersion: string | null; packageDigest: string | null;
}

const sql = {
  // by id
  get: `SELECT ${COLUMNS} FROM capsule_services s WHERE s.id = ?`,
  // report identity: code is unique per workspace
  byCode: `SELECT ${COLUMNS} FROM capsule_services s WHERE s.code = ?`,
  // first report
  insert: `INSERT INTO capsule_services (id, agent_id, code, name, description, version, runtime, manifest_json,
           stored_status, health_status, last_reported_at, created_at, updated_at, package_name, package_version, package_digest)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'UNKNOWN', 'UNKNOWN', ?, ?, ?, ?, ?, ?)`,
  // later reports (also a move to a new owner): clears an operator release
  update: `UPDATE capsule_services SET agent_id = ?, name = ?, description = ?, version = ?, runtime = ?, manifest_json = ?,
           last_reported_at = ?, released_at = NULL, updated_at = ?, package_name = ?, package_version = ?, package_digest = ? WHERE id = ?`,
  // latest health, denormalised for lists and the status CASE
  setHealth: `UPDATE capsule_services SET health_status = ?, last_health_at = ?, last_health_fingerprint = ?, stored_status = ?, updated_at = ?
              WHERE id = ?`,
  // refresh of an unchanged health (domain/contacts.ts): (id, time, fingerprint) rows, applied only while
  // the stored health still has that fingerprint, never backwards; returns the health facts as written
  refreshHealth: (values: string) => `UPDATE capsule_services SET last_health_at = v.column2 FROM (VALUES ${values}) AS v
    WHERE capsule_services.id = v.column1 AND capsule_services.last_health_fingerprint = v.column3
      AND capsule_services.last_health_at < v.column2
    RETURNING id, ${HEALTH_FACTS}`,
  // what a heartbeat needs to decide whether its health is a write (no manifest: up to 256 KiB to parse)
  healthFacts: `SELECT ${HEALTH_FACTS} FROM capsule_services WHERE id = ?`,
  // operator release of the code
  release: `UPDATE capsule_services SET released_at = ?, updated_at = ? WHERE id = ? AND released_at IS NULL`,
  // services of one agent (heartbeat health without serviceId, agent detail)
  byAgent: `SELECT ${COLUMNS} FROM capsule_services s WHERE s.agent_id = ? ORDER BY s.created_at, s.id`,
  // sweep: stored status lagging the effective one
  drifted: `SELECT ${LIST_COLUMNS}, ${effectiveServiceStatusSql} AS effective
            FROM capsule_services s LEFT JOIN agents a ON a.id = s.agent_id
            WHERE s.stored_status <> ${effectiveServiceStatusSql} ORDER BY s.id LIMIT ?`,
  // sweep write; guarded by the value read so a concurrent health write is not overwritten
  setStored: `UPDATE capsule_services SET stored_status = ?, updated_at = ? WHERE id = ? AND stored_status = ?`,
  // dashboard/metrics counts by effective status
  countByStatus: `SELECT ${wireServiceStatusSql(false)} AS status, COUNT(*) AS n
                  FROM capsule_services s LEFT JOIN agents a ON a.id = s.agent_id GROUP BY 1`,
  countByStatusEnforced: `SELECT ${wireServiceStatusSql(true)} AS status, COUNT(*) AS n
                  FROM capsule_services s LEFT JOIN agents a ON a.id = s.agent_id GROUP BY 1`,
};

type RawList = {
  id: string; agent_id: string | null; code: string; name: string; description: string | null; version: string | null;
  runtime: string | null; stored_status: string; health_status: HealthStatus; last_reported_at: string | null;
  last_health_at: string | null; released_at: string | null; created_at: string; updated_at: string;
  package_name: string | null; package_version: string | null; package_digest: string | null; package_unapproved: number | boolean;
};
type Raw = RawList & { manifest_json: string };

const toListRow = (r: RawList): ServiceListRow => ({
  id: r.id, agentId: r.agent_id, code: r.code, name: r.name, description: r.description, version: r.version,
  runtime: r.runtime, storedStatus: r.stored_status, healthStatus: r.health_status, lastReportedAt: r.last_reported_at,
  lastHealthAt: r.last_health_at, releasedAt: r.released_at, createdAt: r.created_at, updatedAt: r.updated_at,
  packageName: r.package_name, packageVersion: r.package_version, packageDigest: r.package_digest, packageApproved: !Number(r.package_unapproved),
});
const toRow = (r: Raw): ServiceRow => ({ ...toListRow(r), manifest: parseJson<Record<string, unknown>>(r.manifest_json, {}) });

export async function getService(db: Db, id: string): Promise<ServiceRow | undefined> {
  const r = await db.get<Raw>(sql.get, [id]);
  return r && toRow(r);
}

export async function getServiceByCode(db: Db, code: string): Promise<ServiceRow | undefined> {
  const r = await db.get<Raw>(sql.byCode, [code]);
  return r && toRow(r);
}

export const listServicesOfAgent = async (db: Db, agentId: string): Promise<ServiceRow[]> => (await db.all<Raw>(sql.byAgent, [agentId])).map(toRow);

export async function insertService(db: Db, w: ServiceWrite): Promise<void> {
  await db.run(sql.insert, [w.id, w.agentId, w.code, w.name, w.description, w.version, w.runtime, w.manifestJson, w.nowIso, w.nowIso, w.nowIso,
    w.packageName, w.packageVersion, w.packageDigest]);
}

export async function updateService(db: Db, w: ServiceWrite): Promise<void> {
  await db.run(sql.update, [w.agentId, w.name, w.description, w.version, w.runtime, w.manifestJson, w.nowIso, w.nowIso,
    w.packageName, w.packageVersion, w.packageDigest, w.id]);
}

export async function setServiceHealth(
  db: Db, id: string, health: HealthStatus, fingerprint: string, storedStatus: ServiceStatus, nowIso: string,
): Promise<void> {
  await db.run(sql.setHealth, [health, nowIso, fingerprint, storedStatus, nowIso, id]);
}

/** The owner and the last stored health of a service, as the heartbeat's coalescing decision needs them. */
export interface ServiceHealthFacts { agentId: string | null; lastHealthAt: string | null; lastHealthFingerprint: string | null }
type HealthFactsRow = { agent_id: string | null; last_health_at: string | null; last_health_fingerprint: string | null };
const toHealthFacts = (r: HealthFactsRow): ServiceHealthFacts => ({ agentId: r.agent_id, lastHealthAt: r.last_health_at, lastHealthFingerprint: r.last_health_fingerprint });

/** Moves last_health_at of services whose health is unchanged ([serviceId, time, fingerprint] rows); returns the facts of those it moved, by service id. */
export async function refreshServiceHealth(db: Db, rows: [string, string, string][]): Promise<Map<string, ServiceHealthFacts>> {
  const written = new Map<string, ServiceHealthFacts>();
  await inValueChunks(rows, async (values, params) => {
    for (const r of await db.all<HealthFactsRow & { id: string }>(sql.refreshHealth(values), params)) written.set(r.id, toHealthFacts(r));
  });
  return written;
}

export async function getServiceHealthFacts(db: Db, id: string): Promise<ServiceHealthFacts | undefined> {
  const r = await db.get<HealthFactsRow>(sql.healthFacts, [id]);
  return r && toHealthFacts(r);
}

export const releaseService = async (db: Db, id: string, nowIso: string): Promise<boolean> => (await db.run(sql.release, [nowIso, nowIso, id])).changes === 1;

export interface Cutoffs {
  /** Agents whose last contact is before this are past the offline threshold. */
  offlineBefore: string;
  /** Health reported before this is stale. */
  healthStaleBefore: string;
  /** CAPSTAN_PACKAGE_POLICY=enforce: lists and counts see QUARANTINED services. */
  enforcePackages?: boolean;
}

export const listDriftedServices = async (db: Db, c: Cutoffs, limit: number): Promise<(ServiceListRow & { effective: ServiceStatus })[]> =>
  (await db.all<(RawList & { effective: ServiceStatus })>(sql.drifted, [c.offlineBefore, c.healthStaleBefore, c.offlineBefore, c.healthStaleBefore, limit]))
    .map((r) => ({ ...toListRow(r), effective: r.effective }));

export const setServiceStoredStatus = async (db: Db, id: string, from: string, to: ServiceStatus, nowIso: string): Promise<boolean> =>
  (await db.run(sql.setStored, [to, nowIso, id, from])).changes === 1;

/** Services owned by each of these agents (the v0.4 `serviceCount` of agent rows; agents without any are absent). */
export async function countServicesPerAgent(db: Db, agentIds: string[]): Promise<Map<string, number>> {
  if (agentIds.length === 0) return new Map();
  const rows = await db.all<{ agent_id: string; n: number }>(
    `SELECT agent_id, COUNT(*) AS n FROM capsule_services WHERE agent_id IN (${agentIds.map(() => "?").join(", ")}) GROUP BY agent_id`, agentIds);
  return new Map(rows.map((r) => [r.agent_id, Number(r.n)]));
}

export async function countServicesByStatus(db: Db, c: Cutoffs): Promise<Record<EffectiveServiceStatus, number>> {
  // QUARANTINED is a key only while the policy is enforced (metrics series stay as they were otherwise)
  const keys = c.enforcePackages ? EFFECTIVE_SERVICE_STATUSES : SERVICE_STATUSES;
  const out = Object.fromEntries(keys.map((s) => [s, 0])) as Record<EffectiveServiceStatus, number>;
  const q = c.enforcePackages ? sql.countByStatusEnforced : sql.countByStatus;
  for (const r of await db.all<{ status: EffectiveServiceStatus; n: number }>(q, cutoffParams(c))) out[r.status] = Number(r.n);
  return out;
}

export interface ServiceFilter {
  status?: string[] | undefined;
  healthStatus?: string[] | undefined;
  agentId?: string[] | undefined;
  q?: string | undefined;
  capability?: string | undefined;
}

/** Lists services; `status` filters on the effective status computed in SQL. */
export async function listServices(
  db: Db, f: ServiceFilter, c: Cutoffs, sort: SortKey[], page: number, pageSize: number,
): Promise<{ rows: ServiceListRow[]; total: number }> {
  const w = new Where().anyOf("s.health_status", f.healthStatus).anyOf("s.agent_id", f.agentId).search(["s.code", "s.name"], f.q);
  // Exact capability name; manifests list plain strings or {name, ...} objects.
  if (f.capability) {
    w.add(capabilityFilterSql(db.kind, "s.manifest_json"), f.capability, f.capability);
  }
  if (f.status?.length) {
    w.add(`(${wireServiceStatusSql(!!c.enforcePackages)}) IN (${f.status.map(() => "?").join(", ")})`, ...cutoffParams(c), ...f.status);
  }
  const from = `FROM capsule_services s LEFT JOIN agents a ON a.id = s.agent_id ${w.sql}`;
  const total = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n ${from}`, w.params))!.n;
  const rows = await db.all<RawList>(`SELECT ${LIST_COLUMNS} ${from} ${orderBy(sort, SERVICE_SORT, "s.id")} ${limitOffset(page, pageSize)}`, w.params);
  return { rows: rows.map(toListRow), total };
}

/** The services whose manifest names package `name` (the catalog's "where it runs"), by code; at most `limit`. */
export const servicesReportingPackage = async (db: Db, name: string, limit: number): Promise<ServiceRow[]> =>
  (await db.all<Raw>(`SELECT ${COLUMNS} FROM capsule_services s WHERE ${manifestPackageNameSql(db.kind, "s.manifest_json")} = ? ORDER BY s.code LIMIT ?`, [name, limit])).map(toRow);
