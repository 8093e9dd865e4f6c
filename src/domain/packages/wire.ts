// Wire shapes of packages and versions (admin API, console view models and the registry read them).
import type { PackageRow, PackageVersionRow } from "../../db/packages.js";

export function versionToWire(v: PackageVersionRow) {
  return {
    id: v.id,
    name: v.packageName,
    version: v.version,
    status: v.status,
    digest: v.digest,
    /** "artifact": the descriptor's artifact.digest; "descriptor": sha256 of the canonical descriptor. */
    digestSource: v.digestSource,
    publisher: v.publisher,
    publisherUserId: v.publisherUserId,
    approvalId: v.approvalId,
    decisionReason: v.decisionReason,
    decidedAt: v.decidedAt,
    deprecated: v.deprecated,
    yanked: v.yanked,
    yankedReason: v.yankedReason,
    createdAt: v.createdAt,
    descriptor: v.descriptor,
  };
}
export type PackageVersionWire = ReturnType<typeof versionToWire>;

export const packageToWire = (p: PackageRow) => ({
  name: p.name, description: p.description, runtime: p.runtime, tags: p.tags, capabilities: p.capabilities,
  latestVersion: p.latestVersion, createdAt: p.createdAt, updatedAt: p.updatedAt,
});
export type PackageWire = ReturnType<typeof packageToWire>;
