// package_install_approvals: a package version (optionally pinned to a digest) allowed to run on one
// agent, or on every agent (agent_id NULL). The table only; requests and the policy live in the domain.
import type { Db } from "./open.js";
import type { PackageInstallStatus } from "../vocabulary.js";

export interface PackageInstallRow {
  id: string;
  packageName: string;
  version: string;
  digest: string | null;
  agentId: string | null;
  status: PackageInstallStatus;
  requestedByUserId: string | null;
  approvalId: string | null;
  decisionReason: string | null;
  decidedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const COLUMNS = `id, package_name, version, digest, agent_id, status, requested_by_user_id, approval_id, decision_reason, decided_at,
  created_at, updated_at`;

const sql = {
  // a new request (PENDING_APPROVAL)
  insert: `INSERT INTO package_install_approvals (${COLUMNS}) VALUES (?, ?, ?, ?, ?, 'PENDING_APPROVAL', ?, NULL, NULL, NULL, ?, ?)`,
  // by id
  get: `SELECT ${COLUMNS} FROM package_install_approvals WHERE id = ?`,
  // the requests of a package version, newest first
  ofVersion: `SELECT ${COLUMNS} FROM package_install_approvals WHERE package_name = ? AND version = ? ORDER BY created_at DESC, id DESC`,
  // the request's approval id, set right after the request opens
  setApproval: `UPDATE package_install_approvals SET approval_id = ?, updated_at = ? WHERE id = ?`,
  // PENDING_APPROVAL -> a decision, guarded
  decide: `UPDATE package_install_approvals SET status = ?, decision_reason = ?, decided_at = ?, updated_at = ? WHERE id = ? AND status = 'PENDING_APPROVAL'`,
};

type Raw = {
  id: string; package_name: string; version: string; digest: string | null; agent_id: string | null; status: PackageInstallStatus;
  requested_by_user_id: string | null; approval_id: string | null; decision_reason: string | null; decided_at: string | null;
  created_at: string; updated_at: string;
};

const toRow = (r: Raw): PackageInstallRow => ({
  id: r.id, packageName: r.package_name, version: r.version, digest: r.digest, agentId: r.agent_id, status: r.status,
  requestedByUserId: r.requested_by_user_id, approvalId: r.approval_id, decisionReason: r.decision_reason, decidedAt: r.decided_at,
  createdAt: r.created_at, updatedAt: r.updated_at,
});

export type NewPackageInstall = Pick<PackageInstallRow, "id" | "packageName" | "version" | "digest" | "agentId" | "requestedByUserId" | "createdAt">;

export async function insertPackageInstall(db: Db, r: NewPackageInstall): Promise<void> {
  await db.run(sql.insert, [r.id, r.packageName, r.version, r.digest, r.agentId, r.requestedByUserId, r.createdAt, r.createdAt]);
}

export const getPackageInstall = async (db: Db, id: string): Promise<PackageInstallRow | undefined> => {
  const r = await db.get<Raw>(sql.get, [id]);
  return r && toRow(r);
};

export const installsOfVersion = async (db: Db, name: string, version: string): Promise<PackageInstallRow[]> =>
  (await db.all<Raw>(sql.ofVersion, [name, version])).map(toRow);

export async function setInstallApproval(db: Db, id: string, approvalId: string, nowIso: string): Promise<void> {
  await db.run(sql.setApproval, [approvalId, nowIso, id]);
}

export async function decidePackageInstall(db: Db, id: string, to: Exclude<PackageInstallStatus, "PENDING_APPROVAL">, reason: string | null, nowIso: string): Promise<boolean> {
  return (await db.run(sql.decide, [to, reason, nowIso, nowIso, id])).changes === 1;
}
