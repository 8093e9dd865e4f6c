// The registry's machine-readable documents (catalog.md v0.6): the index, one package's approved
// versions with their signatures, and the keys that verify them. Plain JSON (no {success,data}
// envelope: tools and other Capstans read these), serialised here so the ETag is the body's hash.
import { createHash } from "node:crypto";
import type { App } from "../../context.js";
import { getApproval } from "../../db/approvals.js";
import { approvedPackageVersions, packageVersions } from "../../db/packages.js";
import { listedRegistryKeys, signaturesOfPackage } from "../../db/registryKeys.js";
import { AppError } from "../../errors.js";
import { compareSemver } from "./digest.js";

export interface RegistryDocument {
  body: string;
  etag: string;
}

const doc = (value: unknown): RegistryDocument => {
  const body = JSON.stringify(value);
  return { body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 32)}"` };
};

/** Every package with an approved version: its versions' summary, the latest (highest non-yanked) and whether that is deprecated. */
export async function registryIndex(app: App): Promise<RegistryDocument> {
  const byName = new Map<string, Awaited<ReturnType<typeof approvedPackageVersions>>>();
  for (const v of await approvedPackageVersions(app.db)) byName.set(v.packageName, [...(byName.get(v.packageName) ?? []), v]);
  const packages = [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, vs]) => {
    const sorted = [...vs].sort((a, b) => compareSemver(b.version, a.version));
    const latest = sorted.find((v) => !v.yanked);
    return {
      name, latest: latest?.version ?? null, deprecated: latest?.deprecated ?? null,
      versions: sorted.map((v) => ({ version: v.version, digest: v.digest, deprecated: v.deprecated, yanked: v.yanked })),
    };
  });
  return doc({ packages });
}

/** Every approved version's full record, newest first; 404 when the package has none. */
export async function registryPackage(app: App, name: string): Promise<RegistryDocument> {
  const versions = (await packageVersions(app.db, name)).filter((v) => v.status === "APPROVED").sort((a, b) => compareSemver(b.version, a.version));
  if (!versions.length) throw new AppError("PACKAGE_NOT_FOUND", `no approved package ${name} in this registry`);
  const sigs = await signaturesOfPackage(app.db, name);
  const records = [];
  for (const v of versions) {
    const approval = v.approvalId ? await getApproval(app.db, v.approvalId) : undefined;
    records.push({
      name: v.packageName, version: v.version, descriptor: v.descriptor, digest: v.digest, digestSource: v.digestSource,
      createdAt: v.createdAt, publisher: v.publisher,
      approval: { id: v.approvalId, decidedAt: approval?.decidedAt ?? v.decidedAt },
      deprecated: v.deprecated, yanked: v.yanked,
      signatures: sigs.filter((s) => s.versionId === v.id).map((s) => ({ keyid: s.keyid, sig: s.sig })),
    });
  }
  return doc({ name, versions: records });
}

/** The keys that verify signatures: every unexpired one, the signing key first. Never the private half. */
export async function registryKeys(app: App): Promise<RegistryDocument> {
  const keys = (await listedRegistryKeys(app.db, app.now().toISOString())).map((k) => ({
    keyid: k.keyid, algorithm: k.algorithm, key: k.publicKeyPem, created: k.createdAt, expires: k.expiresAt, retired: k.retiredAt,
  }));
  return doc({ keys });
}

/** If-None-Match (a list, weak or strong, or "*") matches this ETag. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").map((t) => t.trim().replace(/^W\//, "")).some((t) => t === etag || t === "*");
}
