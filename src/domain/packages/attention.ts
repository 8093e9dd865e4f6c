// The dashboard's "needs attention" for packages (catalog.md v0.6): services running an incompatible,
// deprecated or yanked package version, with the flags that say which.
import type { App } from "../../context.js";
import { getAgent } from "../../db/agents.js";
import { findPackageVersion, type PackageVersionRow } from "../../db/packages.js";
import { servicesWithPackage } from "../../db/servicePackages.js";
import { getService } from "../../db/services.js";
import { packageCompatibility, type PackageFlag } from "./serviceLink.js";

/** Services checked per dashboard read: the dashboard lists a handful, the service pages have the rest. */
const SCAN = 200;

export interface PackageAttention { serviceId: string; serviceName: string; packageName: string; version: string | null; flags: PackageFlag[] }

export async function packageAttention(app: App, limit = 10): Promise<PackageAttention[]> {
  if (app.config.packagePolicy === "off") return [];
  const versions = new Map<string, PackageVersionRow | undefined>();
  const out: PackageAttention[] = [];
  for (const id of await servicesWithPackage(app.db, SCAN)) {
    const s = await getService(app.db, id);
    if (!s?.packageName || !s.packageVersion) continue;
    const key = `${s.packageName}@${s.packageVersion}`;
    if (!versions.has(key)) versions.set(key, await findPackageVersion(app.db, s.packageName, s.packageVersion));
    const v = versions.get(key);
    if (!v) continue;
    const flags: PackageFlag[] = [];
    const agent = s.agentId ? await getAgent(app.db, s.agentId) : undefined;
    if (packageCompatibility(app, v.descriptor, agent).some((c) => c.ok === false)) flags.push("INCOMPATIBLE");
    if (v.deprecated) flags.push("DEPRECATED");
    if (v.yanked) flags.push("YANKED");
    if (flags.length) out.push({ serviceId: s.id, serviceName: s.name, packageName: s.packageName, version: s.packageVersion, flags });
    if (out.length >= limit) break;
  }
  return out;
}
