// A package row's summary (what the catalog list shows and searches) follows its highest approved,
// non-yanked version by SemVer precedence; while none is approved, the newest published one (so a
// pending package is findable by its reviewers), with latestVersion NULL.
import type { App } from "../../context.js";
import { packageVersions, updatePackageSummary } from "../../db/packages.js";
import type { PackageDescriptor } from "../../schemas/packageDescriptor.js";
import { compareSemver } from "./digest.js";

/** Call inside the transaction that changed a version's status or marks. */
export async function refreshPackageSummary(app: App, name: string): Promise<void> {
  const versions = await packageVersions(app.db, name); // newest published first
  const live = versions.filter((v) => v.status === "APPROVED" && !v.yanked).sort((a, b) => compareSemver(b.version, a.version));
  const pick = live[0] ?? versions[0];
  if (!pick) return;
  const d = pick.descriptor as PackageDescriptor;
  await updatePackageSummary(app.db, name, {
    description: d.description ?? null, runtime: d.runtime ?? null, tags: d.tags ?? [], capabilities: (d.capabilities ?? []).map((c) => c.name),
    latestVersion: live[0]?.version ?? null, updatedAt: app.now().toISOString(),
  });
}
