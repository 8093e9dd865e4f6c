// Install requests (catalog.md v0.7): an operator asks for a package version (optionally pinned to a
// digest) to be allowed on one agent or on all agents; an owner approves or rejects it through the
// approvals model (subject PACKAGE_INSTALL, handler in installSubject.ts); never the requester.
// Approved means allowed to run: the package policy (status.ts, commands/execute.ts) reads it.
import type { Actor, App } from "../../context.js";
import { getAgent } from "../../db/agents.js";
import { getPackageInstall, insertPackageInstall, installsOfVersion, setInstallApproval, type PackageInstallRow } from "../../db/packageInstalls.js";
import { findPackageVersion } from "../../db/packages.js";
import { AppError } from "../../errors.js";
import { newId } from "../../ids.js";
import { writeAudit } from "../audit.js";
import { requestApproval } from "../approvals/request.js";

export const INSTALL_TARGET = "PackageInstall";

export interface InstallRequestInput {
  packageName: string;
  version: string;
  /** null or absent: the published version's artifact digest when the registry has one, else any digest. */
  digest?: string | null | undefined;
  /** null or absent: all agents. */
  agentId?: string | null | undefined;
}

export const installToWire = (r: PackageInstallRow) => ({
  id: r.id, packageName: r.packageName, version: r.version, digest: r.digest, agentId: r.agentId, status: r.status,
  requestedByUserId: r.requestedByUserId, approvalId: r.approvalId, decisionReason: r.decisionReason, decidedAt: r.decidedAt,
  createdAt: r.createdAt, updatedAt: r.updatedAt,
});
export type InstallWire = ReturnType<typeof installToWire>;

export async function requestInstall(app: App, actor: Actor & { type: "USER" }, input: InstallRequestInput, requestId?: string): Promise<InstallWire> {
  const agent = input.agentId ? await getAgent(app.db, input.agentId) : undefined;
  if (input.agentId && !agent) throw new AppError("AGENT_NOT_FOUND", "no such agent", { agentId: input.agentId });
  const now = app.now();
  const id = newId("pki", now.getTime());
  await app.db.transaction(async () => {
    const published = await findPackageVersion(app.db, input.packageName, input.version);
    // "the approved one": pin the registry's artifact digest unless the request names one
    const digest = input.digest ?? (published?.digestSource === "artifact" ? published.digest : null);
    await insertPackageInstall(app.db, {
      id, packageName: input.packageName, version: input.version, digest, agentId: agent?.id ?? null, requestedByUserId: actor.id, createdAt: now.toISOString(),
    });
    const summary = {
      packageName: input.packageName, version: input.version, digest, agentId: agent?.id ?? null, agentCode: agent?.code ?? null,
      scope: agent ? `agent ${agent.code}` : "all agents", published: published ? published.status : null,
    };
    const approvalId = await requestApproval(app, { type: "PACKAGE_INSTALL", id }, {
      requiredApprovals: 1, requesterUserId: actor.id, summary, expiresAt: new Date(now.getTime() + app.config.approvalTtlSeconds * 1000).toISOString(),
    }, actor, requestId);
    await setInstallApproval(app.db, id, approvalId, now.toISOString());
    await writeAudit(app, { actor, action: "package.install.requested", target: { type: INSTALL_TARGET, id }, requestId, metadata: { ...summary, approvalId } });
  });
  return installToWire((await getPackageInstall(app.db, id))!);
}

export async function installWire(app: App, id: string): Promise<InstallWire> {
  const r = await getPackageInstall(app.db, id);
  if (!r) throw new AppError("NOT_FOUND", "no such install request", { id });
  return installToWire(r);
}

/** The install requests of a package version, newest first. */
export const installsOfPackageVersion = async (app: App, name: string, version: string): Promise<InstallWire[]> =>
  (await installsOfVersion(app.db, name, version)).map(installToWire);
