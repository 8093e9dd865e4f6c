// Publishing a package version (catalog.md v0.7): the descriptor is validated strictly, its digest
// fixed, and the version stored PENDING_APPROVAL with a publish request in the approvals model
// (subject PACKAGE_VERSION; an owner other than the submitter decides). Versions are immutable: the
// same version again is 409, with a distinct code when its digest differs. Refusals are audited.
import type { Actor, App } from "../../context.js";
import { findPackageVersion, getPackage, insertPackage, insertPackageVersion, setVersionApproval, type PackageVersionRow } from "../../db/packages.js";
import { AppError } from "../../errors.js";
import { newId } from "../../ids.js";
import { PackageDescriptor } from "../../schemas/packageDescriptor.js";
import { requestApproval } from "../approvals/request.js";
import { writeAudit } from "../audit.js";
import { auditRefusal } from "../commands/lifecycle.js";
import { canonicalJson, versionDigest } from "./digest.js";
import { refreshPackageSummary } from "./summary.js";

export const PACKAGE_TARGET = "Package";

export interface Submitter {
  userId: string;
  username: string;
}

/** The descriptor, or 422: PACKAGE_VERSION_INVALID when the version is not SemVer 2, else VALIDATION_FAILED. */
export function parseDescriptor(body: unknown): PackageDescriptor {
  const r = PackageDescriptor.safeParse(body);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
  const text = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ").slice(0, 500);
  if (r.error.issues.some((i) => i.path.length === 1 && i.path[0] === "version")) {
    throw new AppError("PACKAGE_VERSION_INVALID", `not a SemVer 2 version: ${text}`, { issues });
  }
  throw new AppError("VALIDATION_FAILED", text, { issues });
}

async function publishParsed(app: App, who: Submitter, d: PackageDescriptor, suppliedDigest: string | undefined, requestId?: string): Promise<PackageVersionRow> {
  const { digest, source } = versionDigest(d);
  if (suppliedDigest !== undefined && suppliedDigest !== digest) {
    throw new AppError("PACKAGE_DIGEST_MISMATCH", `the supplied digest ${suppliedDigest} is not the version's digest ${digest} (${source === "artifact" ? "artifact.digest" : "sha256 of the canonical descriptor"})`,
      { supplied: suppliedDigest, digest, digestSource: source });
  }
  const actor: Actor = { type: "USER", id: who.userId };
  const id = newId("pkv", app.now().getTime());
  await app.db.transaction(async () => {
    const existing = await findPackageVersion(app.db, d.name, d.version);
    if (existing && existing.digest !== digest) {
      throw new AppError("PACKAGE_DIGEST_CONFLICT", `${d.name}@${d.version} was already published with digest ${existing.digest}; versions are immutable, publish a new version`,
        { digest: existing.digest, published: digest });
    }
    if (existing) throw new AppError("PACKAGE_VERSION_EXISTS", `${d.name}@${d.version} was already published (${existing.status})`, { status: existing.status, id: existing.id });
    const nowIso = app.now().toISOString();
    const isNew = !(await getPackage(app.db, d.name));
    await insertPackage(app.db, {
      name: d.name, description: d.description ?? null, runtime: d.runtime ?? null, tags: d.tags ?? [],
      capabilities: (d.capabilities ?? []).map((c) => c.name), createdByUserId: who.userId, createdAt: nowIso,
    });
    await insertPackageVersion(app.db, {
      id, packageName: d.name, version: d.version, descriptor: d, digest, digestSource: source, publisherUserId: who.userId, publisher: who.username, createdAt: nowIso,
    }, canonicalJson(d));
    const summary = { package: d.name, version: d.version, digest, publisher: who.username, description: d.description ?? null };
    const expiresAt = new Date(app.now().getTime() + app.config.approvalTtlSeconds * 1000).toISOString();
    const approvalId = await requestApproval(app, { type: "PACKAGE_VERSION", id }, { requiredApprovals: 1, requesterUserId: who.userId, summary, expiresAt }, actor, requestId);
    await setVersionApproval(app.db, id, approvalId, nowIso);
    await refreshPackageSummary(app, d.name);
    await writeAudit(app, {
      actor, action: "package.version.published", target: { type: PACKAGE_TARGET, id: d.name }, requestId, message: `${d.name}@${d.version}`,
      metadata: { version: d.version, versionId: id, digest, digestSource: source, approvalId, newPackage: isNew },
    });
  });
  return (await findPackageVersion(app.db, d.name, d.version))!;
}

/** Publishes `body` (a capsule.json descriptor); `suppliedDigest` (optional) must equal the version's digest. */
export async function publishPackage(app: App, who: Submitter, body: unknown, suppliedDigest: string | undefined, requestId?: string): Promise<PackageVersionRow> {
  const name = typeof (body as { name?: unknown } | null)?.name === "string" ? String((body as { name: string }).name).slice(0, 100) : null;
  try {
    return await publishParsed(app, who, parseDescriptor(body), suppliedDigest, requestId);
  } catch (err) {
    if (err instanceof AppError) {
      await auditRefusal(app, { type: "USER", id: who.userId }, "package.version.published", { type: PACKAGE_TARGET, id: name }, err.code, { message: err.message }, requestId);
    }
    throw err;
  }
}
