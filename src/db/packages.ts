// packages + package_versions: the catalog (catalog.md). A package row carries the summary the list
// searches (tags, capability names, runtime, latest approved version); each version keeps its
// descriptor as published, its digest and its publish request's status. Status changes are guarded
// by the status the caller saw.
import type { Db } from "./open.js";
import { Where, limitOffset, orderBy, parseJson, toBool, type SortKey } from "./query.js";
import type { PackageDigestSource, PackageVersionStatus } from "../vocabulary.js";

export interface PackageRow {
  name: string;
  description: string | null;
  runtime: string | null;
  tags: string[];
  capabilities: string[];
  latestVersion: string | null;
  createdByUserId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PackageVersionRow {
  id: string;
  packageName: string;
  version: string;
  descriptor: Record<string, unknown>;
  digest: string;
  digestSource: PackageDigestSource;
  status: PackageVersionStatus;
  publisherUserId: string | null;
  publisher: string;
  approvalId: string | null;
  decisionReason: string | null;
  decidedAt: string | null;
  deprecated: string | null;
  yanked: boolean;
  yankedReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PackageFilter {
  q?: string | undefined;
  runtime?: string[] | undefined;
}

const PKG = "name, description, runtime, tags_json, capabilities_json, latest_version, created_by_user_id, created_at, updated_at";
const VER = `id, package_name, version, descriptor_json, digest, digest_source, status, publisher_user_id, publisher, approval_id,
  decision_reason, decided_at, deprecated, yanked, yanked_reason, created_at, updated_at`;
export const PACKAGE_SORT: Record<string, string> = { name: "name", updatedAt: "updated_at", createdAt: "created_at" };

const sql = {
  // a package's row on its first version (a later version finds it there)
  insertPackage: `INSERT INTO packages (${PKG}) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
  // by name
  getPackage: `SELECT ${PKG} FROM packages WHERE name = ?`,
  // the list summary follows the version the domain picked
  summary: `UPDATE packages SET description = ?, runtime = ?, tags_json = ?, capabilities_json = ?, latest_version = ?, updated_at = ? WHERE name = ?`,
  // a new version (PENDING_APPROVAL); UNIQUE (package_name, version) refuses a duplicate
  insertVersion: `INSERT INTO package_versions (${VER}) VALUES (?, ?, ?, ?, ?, ?, 'PENDING_APPROVAL', ?, ?, NULL, NULL, NULL, NULL, 0, NULL, ?, ?)`,
  // by id
  getVersion: `SELECT ${VER} FROM package_versions WHERE id = ?`,
  // by name and version
  byVersion: `SELECT ${VER} FROM package_versions WHERE package_name = ? AND version = ?`,
  // every version of a package, newest published first (SemVer order is the domain's)
  versionsOf: `SELECT ${VER} FROM package_versions WHERE package_name = ? ORDER BY created_at DESC, id DESC`,
  // every approved version (the registry index), by package
  approved: `SELECT ${VER} FROM package_versions WHERE status = 'APPROVED' ORDER BY package_name, created_at, id`,
  // the publish request's approval id, set right after the request opens
  setApproval: `UPDATE package_versions SET approval_id = ?, updated_at = ? WHERE id = ?`,
  // PENDING_APPROVAL -> a decision; the guard makes two decisions unable to both apply
  decide: `UPDATE package_versions SET status = ?, decision_reason = ?, decided_at = ?, updated_at = ? WHERE id = ? AND status = 'PENDING_APPROVAL'`,
  // owner marks: deprecated (a message or NULL) and yanked
  deprecate: `UPDATE package_versions SET deprecated = ?, updated_at = ? WHERE id = ?`,
  yank: `UPDATE package_versions SET yanked = ?, yanked_reason = ?, updated_at = ? WHERE id = ?`,
};

type RawPkg = {
  name: string; description: string | null; runtime: string | null; tags_json: string; capabilities_json: string;
  latest_version: string | null; created_by_user_id: string | null; created_at: string; updated_at: string;
};
type RawVer = {
  id: string; package_name: string; version: string; descriptor_json: string; digest: string; digest_source: PackageDigestSource;
  status: PackageVersionStatus; publisher_user_id: string | null; publisher: string; approval_id: string | null;
  decision_reason: string | null; decided_at: string | null; deprecated: string | null; yanked: number | boolean;
  yanked_reason: string | null; created_at: string; updated_at: string;
};

const toPackage = (r: RawPkg): PackageRow => ({
  name: r.name, description: r.description, runtime: r.runtime, tags: parseJson<string[]>(r.tags_json, []),
  capabilities: parseJson<string[]>(r.capabilities_json, []), latestVersion: r.latest_version, createdByUserId: r.created_by_user_id,
  createdAt: r.created_at, updatedAt: r.updated_at,
});
const toVersion = (r: RawVer): PackageVersionRow => ({
  id: r.id, packageName: r.package_name, version: r.version, descriptor: parseJson<Record<string, unknown>>(r.descriptor_json, {}),
  digest: r.digest, digestSource: r.digest_source, status: r.status, publisherUserId: r.publisher_user_id, publisher: r.publisher,
  approvalId: r.approval_id, decisionReason: r.decision_reason, decidedAt: r.decided_at, deprecated: r.deprecated,
  yanked: toBool(r.yanked), yankedReason: r.yanked_reason, createdAt: r.created_at, updatedAt: r.updated_at,
});

export type NewPackage = Pick<PackageRow, "name" | "description" | "runtime" | "tags" | "capabilities" | "createdByUserId" | "createdAt">;

export async function insertPackage(db: Db, p: NewPackage): Promise<void> {
  await db.run(sql.insertPackage, [p.name, p.description, p.runtime, JSON.stringify(p.tags), JSON.stringify(p.capabilities),
    p.createdByUserId, p.createdAt, p.createdAt]);
}

export const getPackage = async (db: Db, name: string): Promise<PackageRow | undefined> => {
  const r = await db.get<RawPkg>(sql.getPackage, [name]);
  return r && toPackage(r);
};

export type PackageSummary = Pick<PackageRow, "description" | "runtime" | "tags" | "capabilities" | "latestVersion" | "updatedAt">;

export async function updatePackageSummary(db: Db, name: string, s: PackageSummary): Promise<void> {
  await db.run(sql.summary, [s.description, s.runtime, JSON.stringify(s.tags), JSON.stringify(s.capabilities), s.latestVersion, s.updatedAt, name]);
}

/** Search is a literal substring of the name, a tag or a capability name (in their JSON lists). */
export async function listPackages(db: Db, f: PackageFilter, sort: SortKey[], page: number, pageSize: number): Promise<{ rows: PackageRow[]; total: number }> {
  const w = new Where().search(["name", "tags_json", "capabilities_json"], f.q).anyOf("runtime", f.runtime);
  const total = Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM packages ${w.sql}`, w.params))!.n);
  const rows = await db.all<RawPkg>(`SELECT ${PKG} FROM packages ${w.sql} ${orderBy(sort, PACKAGE_SORT, "name")} ${limitOffset(page, pageSize)}`, w.params);
  return { rows: rows.map(toPackage), total };
}

/** The runtimes packages declare, for the list's filter. */
export const packageRuntimes = async (db: Db): Promise<string[]> =>
  (await db.all<{ runtime: string }>("SELECT DISTINCT runtime FROM packages WHERE runtime IS NOT NULL ORDER BY runtime")).map((r) => r.runtime);

export type NewPackageVersion = Pick<PackageVersionRow,
  "id" | "packageName" | "version" | "descriptor" | "digest" | "digestSource" | "publisherUserId" | "publisher" | "createdAt">;

/** The descriptor is stored as given (the domain passes the canonical form). */
export async function insertPackageVersion(db: Db, v: NewPackageVersion, descriptorJson: string): Promise<void> {
  await db.run(sql.insertVersion, [v.id, v.packageName, v.version, descriptorJson, v.digest, v.digestSource, v.publisherUserId,
    v.publisher, v.createdAt, v.createdAt]);
}

export const getPackageVersion = async (db: Db, id: string): Promise<PackageVersionRow | undefined> => {
  const r = await db.get<RawVer>(sql.getVersion, [id]);
  return r && toVersion(r);
};

export const findPackageVersion = async (db: Db, name: string, version: string): Promise<PackageVersionRow | undefined> => {
  const r = await db.get<RawVer>(sql.byVersion, [name, version]);
  return r && toVersion(r);
};

export const packageVersions = async (db: Db, name: string): Promise<PackageVersionRow[]> =>
  (await db.all<RawVer>(sql.versionsOf, [name])).map(toVersion);

export const approvedPackageVersions = async (db: Db): Promise<PackageVersionRow[]> =>
  (await db.all<RawVer>(sql.approved)).map(toVersion);

export async function setVersionApproval(db: Db, id: string, approvalId: string, nowIso: string): Promise<void> {
  await db.run(sql.setApproval, [approvalId, nowIso, id]);
}

/** PENDING_APPROVAL -> `to`; false when it was decided meanwhile. */
export async function decidePackageVersion(db: Db, id: string, to: Exclude<PackageVersionStatus, "PENDING_APPROVAL">, reason: string | null, nowIso: string): Promise<boolean> {
  return (await db.run(sql.decide, [to, reason, nowIso, nowIso, id])).changes === 1;
}

export async function setVersionDeprecated(db: Db, id: string, message: string | null, nowIso: string): Promise<void> {
  await db.run(sql.deprecate, [message, nowIso, id]);
}

export async function setVersionYanked(db: Db, id: string, yanked: boolean, reason: string | null, nowIso: string): Promise<void> {
  await db.run(sql.yank, [yanked, reason, nowIso, id]);
}
