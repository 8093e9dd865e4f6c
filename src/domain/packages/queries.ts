// Package reads shared by the admin API and the console: the list (search by name, tag or capability;
// runtime filter), one package with its versions (SemVer order, newest first) and "where it runs":
// every service whose manifest names the package, with the version it reports and its status.
import type { App } from "../../context.js";
import { getAgent, type AgentRow } from "../../db/agents.js";
import { findPackageVersion, getPackage, listPackages, packageRuntimes, packageVersions, type PackageFilter, type PackageVersionRow } from "../../db/packages.js";
import type { SortKey } from "../../db/query.js";
import { servicesReportingPackage } from "../../db/services.js";
import { AppError } from "../../errors.js";
import type { Pagination } from "../../http/reply.js";
import { serviceToWire } from "../services.js";
import { compareSemver } from "./digest.js";
import { packageToWire, versionToWire, type PackageWire, type PackageVersionWire } from "./wire.js";

/** The most services listed under "where it runs" (a catalog page, not an inventory). */
export const WHERE_IT_RUNS_MAX = 200;

export async function listPackagesPage(app: App, f: PackageFilter, sort: SortKey[], page: number, pageSize: number): Promise<{ rows: PackageWire[]; pagination: Pagination }> {
  const { rows, total } = await listPackages(app.db, f, sort, page, pageSize);
  return { rows: rows.map(packageToWire), pagination: { page, pageSize, total } };
}

export const knownRuntimes = (app: App): Promise<string[]> => packageRuntimes(app.db);

const text = (v: unknown): string | null => (typeof v === "string" ? v : null);

async function whereItRuns(app: App, name: string) {
  const agents = new Map<string, AgentRow | undefined>();
  const out = [];
  for (const s of await servicesReportingPackage(app.db, name, WHERE_IT_RUNS_MAX)) {
    if (s.agentId && !agents.has(s.agentId)) agents.set(s.agentId, await getAgent(app.db, s.agentId));
    const pkg = (s.manifest.package ?? {}) as Record<string, unknown>;
    out.push({ ...serviceToWire(app, s, s.agentId ? agents.get(s.agentId) : undefined), packageVersion: text(pkg.version), packageDigest: text(pkg.digest) });
  }
  return out;
}

export const sortVersions = (rows: PackageVersionRow[]): PackageVersionRow[] => [...rows].sort((a, b) => compareSemver(b.version, a.version));

export async function packageDetail(app: App, name: string): Promise<PackageWire & { versions: PackageVersionWire[]; services: Awaited<ReturnType<typeof whereItRuns>> }> {
  const p = await getPackage(app.db, name);
  if (!p) throw new AppError("PACKAGE_NOT_FOUND", `no package ${name}`);
  return { ...packageToWire(p), versions: sortVersions(await packageVersions(app.db, name)).map(versionToWire), services: await whereItRuns(app, name) };
}
export type PackageDetail = Awaited<ReturnType<typeof packageDetail>>;

export async function requireVersion(app: App, name: string, version: string): Promise<PackageVersionRow> {
  const v = await findPackageVersion(app.db, name, version);
  if (!v) {
    if (!await getPackage(app.db, name)) throw new AppError("PACKAGE_NOT_FOUND", `no package ${name}`);
    throw new AppError("PACKAGE_VERSION_NOT_FOUND", `${name} has no version ${version}`);
  }
  return v;
}
