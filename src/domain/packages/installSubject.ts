// What a decision on an install request (approval subject PACKAGE_INSTALL) does: approved = the
// package version may run on the agent (or all agents), which releases its QUARANTINED services at
// once (the policy is read at read time); rejected, cancelled or expired = it may not. Only an owner
// decides (the requester never: review.ts). Runs inside the decision's transaction.
import type { Actor, App } from "../../context.js";
import { decidePackageInstall, getPackageInstall } from "../../db/packageInstalls.js";
import { servicesRunningPackage } from "../../db/servicePackages.js";
import { getUser } from "../../db/users.js";
import { AppError } from "../../errors.js";
import { writeAudit } from "../audit.js";
import type { SubjectHandler } from "../approvals/subjects.js";
import { INSTALL_TARGET } from "./installs.js";

const ENDED_AUDIT = { REJECTED: "package.install.rejected", CANCELLED: "package.install.cancelled", EXPIRED: "system.package.install.expired" } as const;

/** Install requests change what may run on the fleet: owners decide them (catalog.md). */
async function requireOwner(app: App, actor: Actor): Promise<void> {
  const user = actor.type === "USER" && actor.id ? await getUser(app.db, actor.id) : undefined;
  if (user?.role !== "owner") throw new AppError("FORBIDDEN", "only an owner can approve or reject an install request");
}

export const packageInstallSubject: SubjectHandler = {
  async approved(app, installId, actor, approvalId, requestId) {
    await requireOwner(app, actor);
    const r = await getPackageInstall(app.db, installId);
    if (!r || !await decidePackageInstall(app.db, installId, "APPROVED", null, app.now().toISOString())) {
      throw new AppError("APPROVAL_NOT_PENDING", "the install request is no longer pending", { status: r?.status ?? null });
    }
    const released = await servicesRunningPackage(app.db, r.packageName, r.version, r.agentId);
    await writeAudit(app, {
      actor, action: "package.install.approved", target: { type: INSTALL_TARGET, id: r.id }, requestId,
      metadata: { approvalId, packageName: r.packageName, version: r.version, digest: r.digest, agentId: r.agentId, services: released },
    });
    return () => {};
  },
  async ended(app, installId, ending, actor, reason, approvalId, requestId) {
    if (ending === "REJECTED") await requireOwner(app, actor);
    const r = await getPackageInstall(app.db, installId);
    if (!r || !await decidePackageInstall(app.db, installId, "REJECTED", reason, app.now().toISOString())) return () => {};
    await writeAudit(app, {
      actor, action: ENDED_AUDIT[ending], target: { type: INSTALL_TARGET, id: r.id }, requestId, message: reason,
      metadata: { approvalId, packageName: r.packageName, version: r.version, agentId: r.agentId },
    });
    return () => {};
  },
};
