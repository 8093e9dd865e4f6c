// What an approval decision does to a package version (the PACKAGE_VERSION subject of the approvals
// model): approved -> APPROVED, signed with the registry's current key, the package's summary moves
// to it; rejected, cancelled or expired -> REJECTED with the reason. Owners decide (reviewerRole).
import type { App } from "../../context.js";
import { decidePackageVersion, getPackageVersion } from "../../db/packages.js";
import { AppError } from "../../errors.js";
import type { SubjectHandler } from "../approvals/subjects.js";
import { writeAudit } from "../audit.js";
import { PACKAGE_TARGET } from "./publish.js";
import { signVersion } from "./signing.js";
import { refreshPackageSummary } from "./summary.js";

const pending = async (app: App, id: string) => {
  const v = await getPackageVersion(app.db, id);
  return v && v.status === "PENDING_APPROVAL" ? v : undefined;
};

export const packageVersionSubject: SubjectHandler = {
  reviewerRole: "owner",
  async approved(app, versionId, actor, approvalId, requestId) {
    const v = await pending(app, versionId);
    if (!v || !await decidePackageVersion(app.db, v.id, "APPROVED", null, app.now().toISOString())) {
      throw new AppError("APPROVAL_NOT_PENDING", "the package version is no longer awaiting approval");
    }
    const keyid = await signVersion(app, v);
    await refreshPackageSummary(app, v.packageName);
    await writeAudit(app, {
      actor, action: "package.version.approved", target: { type: PACKAGE_TARGET, id: v.packageName }, requestId, message: `${v.packageName}@${v.version}`,
      metadata: { version: v.version, versionId: v.id, digest: v.digest, approvalId, keyid },
    });
    return () => {};
  },
  async ended(app, versionId, ending, actor, reason, approvalId, requestId) {
    const v = await pending(app, versionId);
    if (!v || !await decidePackageVersion(app.db, v.id, "REJECTED", reason, app.now().toISOString())) return () => {};
    await refreshPackageSummary(app, v.packageName);
    await writeAudit(app, {
      actor, action: "package.version.rejected", target: { type: PACKAGE_TARGET, id: v.packageName }, requestId, message: reason,
      metadata: { version: v.version, versionId: v.id, approvalId, ending },
    });
    return () => {};
  },
};
