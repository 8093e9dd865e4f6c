// A running service against its package (catalog.md): the link to the catalog, drift (reported
// actions/configs vs the version's descriptor, as a diff), compatibility (the descriptor's ranges vs
// this server, the agent's SDK and the contract; evaluated with `semver`, the npm ecosystem's own
// implementation of SemVer ranges) and the flags shown on the service and under "needs attention".
import { createRequire } from "node:module";
import type * as Semver from "semver";
import type { App } from "../../context.js";
import type { AgentRow } from "../../db/agents.js";
import { findPackageVersion, type PackageVersionRow } from "../../db/packages.js";
import type { ActionRow, ConfigRow } from "../../db/serviceParts.js";
import type { ServiceListRow } from "../../db/services.js";

/** The wire contract's version, as compatibility.contract ranges see it (the manifest's schemaVersion "1.0"). */
export const CONTRACT_VERSION = "1.0.0";

export const PACKAGE_FLAGS = ["NOT_APPROVED", "NOT_IN_CATALOG", "DRIFT", "INCOMPATIBLE", "DEPRECATED", "YANKED"] as const;
export type PackageFlag = (typeof PACKAGE_FLAGS)[number];

export interface DriftItem { name: string; field: string; expected: unknown; actual: unknown }
export interface DriftList { missing: string[]; unexpected: string[]; changed: DriftItem[] }
export interface Drift { actions: DriftList | null; configs: DriftList | null }
export interface CompatCheck { against: "capstan" | "sdk" | "contract"; range: string; version: string | null; ok: boolean | null; note?: string }

type Descriptor = {
  actions?: { name: string; dangerLevel?: string }[];
  configs?: { key: string; type: string; sensitive?: boolean }[];
  compatibility?: { capstan?: string; sdk?: string; contract?: string };
};

function diff<T, U>(declared: T[], reported: U[], keyD: (d: T) => string, keyR: (r: U) => string, fields: [string, (d: T) => unknown, (r: U) => unknown][]): DriftList {
  const rep = new Map(reported.map((r) => [keyR(r), r]));
  const dec = new Map(declared.map((d) => [keyD(d), d]));
  const changed: DriftItem[] = [];
  for (const [name, d] of dec) {
    const r = rep.get(name);
    if (!r) continue;
    for (const [field, fd, fr] of fields) {
      const expected = fd(d);
      if (expected !== undefined && expected !== fr(r)) changed.push({ name, field, expected, actual: fr(r) });
    }
  }
  return { missing: [...dec.keys()].filter((k) => !rep.has(k)).sort(), unexpected: [...rep.keys()].filter((k) => !dec.has(k)).sort(), changed };
}

const empty = (l: DriftList | null): boolean => !l || (l.missing.length === 0 && l.unexpected.length === 0 && l.changed.length === 0);

/** Reported vs declared; a descriptor without `actions` (or `configs`) declares nothing to compare. */
export function packageDrift(d: Descriptor, actions: Pick<ActionRow, "name" | "dangerLevel">[], configs: Pick<ConfigRow, "key" | "type" | "sensitive">[]): Drift {
  return {
    actions: d.actions ? diff(d.actions, actions, (a) => a.name, (a) => a.name, [["dangerLevel", (a) => a.dangerLevel, (a) => a.dangerLevel]]) : null,
    configs: d.configs ? diff(d.configs, configs, (c) => c.key, (c) => c.key, [["type", (c) => c.type, (c) => c.type], ["sensitive", (c) => c.sensitive, (c) => c.sensitive]]) : null,
  };
}

// Loaded by the first compatibility check (a service or package page), not at start-up (~35 ms of
// CPU and ~1 MB of RSS): no request on the agents' path needs it.
const load = createRequire(import.meta.url);
let semverModule: typeof Semver | undefined;
const semverLib = (): typeof Semver => (semverModule ??= load("semver") as typeof Semver);

function check(against: CompatCheck["against"], range: string | undefined, version: string | null): CompatCheck | undefined {
  if (range === undefined) return undefined;
  const semver = semverLib();
  if (semver.validRange(range) === null) return { against, range, version, ok: false, note: "not a valid SemVer range" };
  const v = version ? semver.coerce(version, { includePrerelease: true })?.version ?? null : null;
  if (!v) return { against, range, version, ok: null, note: "version unknown" };
  return { against, range, version, ok: semver.satisfies(v, range, { includePrerelease: true }) };
}

export function packageCompatibility(app: App, d: Descriptor, agent: Pick<AgentRow, "version"> | undefined): CompatCheck[] {
  const c = d.compatibility ?? {};
  return [check("capstan", c.capstan, app.version), check("sdk", c.sdk, agent?.version ?? null), check("contract", c.contract, CONTRACT_VERSION)]
    .filter((x): x is CompatCheck => x !== undefined);
}

export interface ServicePackageInfo {
  name: string; version: string | null; digest: string | null; approved: boolean;
  policy: App["config"]["packagePolicy"];
  /** The version in the catalog: its publish status, deprecation and yank; null when not published here. */
  catalog: { versionId: string; status: string; deprecated: string | null; yanked: boolean; digest: string } | null;
  drift: Drift | null;
  compatibility: CompatCheck[];
  flags: PackageFlag[];
}

/** Everything the service page and the admin JSON say about the service's package; null without one. */
export async function servicePackageInfo(
  app: App, s: ServiceListRow, agent: AgentRow | undefined, actions: Pick<ActionRow, "name" | "dangerLevel">[], configs: Pick<ConfigRow, "key" | "type" | "sensitive">[],
): Promise<ServicePackageInfo | null> {
  if (!s.packageName || app.config.packagePolicy === "off") return null;
  const v: PackageVersionRow | undefined = s.packageVersion ? await findPackageVersion(app.db, s.packageName, s.packageVersion) : undefined;
  const d = (v?.descriptor ?? {}) as Descriptor;
  const drift = v ? packageDrift(d, actions, configs) : null;
  const compatibility = v ? packageCompatibility(app, d, agent) : [];
  const flags: PackageFlag[] = [];
  if (!s.packageApproved) flags.push("NOT_APPROVED");
  if (!v) flags.push("NOT_IN_CATALOG");
  if (drift && (!empty(drift.actions) || !empty(drift.configs))) flags.push("DRIFT");
  if (compatibility.some((c) => c.ok === false)) flags.push("INCOMPATIBLE");
  if (v?.deprecated) flags.push("DEPRECATED");
  if (v?.yanked) flags.push("YANKED");
  return {
    name: s.packageName, version: s.packageVersion, digest: s.packageDigest, approved: s.packageApproved, policy: app.config.packagePolicy,
    catalog: v ? { versionId: v.id, status: v.status, deprecated: v.deprecated, yanked: v.yanked, digest: v.digest } : null,
    drift, compatibility, flags,
  };
}
