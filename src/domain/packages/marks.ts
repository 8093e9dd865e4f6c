// Owner marks on a published version: deprecated (with a message, or cleared) and yanked (with a
// reason, or restored). A yanked version stays in the registry with yanked: true (tools refuse new
// installs; what runs keeps running) and no longer counts as the package's latest. Audited.
import type { Actor, App } from "../../context.js";
import { setVersionDeprecated, setVersionYanked } from "../../db/packages.js";
import { writeAudit } from "../audit.js";
import { PACKAGE_TARGET } from "./publish.js";
import { requireVersion } from "./queries.js";
import { refreshPackageSummary } from "./summary.js";
import { versionToWire, type PackageVersionWire } from "./wire.js";

export async function deprecateVersion(app: App, actor: Actor, name: string, version: string, message: string | null, requestId?: string): Promise<PackageVersionWire> {
  await app.db.transaction(async () => {
    const v = await requireVersion(app, name, version);
    await setVersionDeprecated(app.db, v.id, message, app.now().toISOString());
    await writeAudit(app, {
      actor, action: message === null ? "package.version.undeprecated" : "package.version.deprecated", target: { type: PACKAGE_TARGET, id: name },
      requestId, message: message ?? undefined, metadata: { version, versionId: v.id, from: v.deprecated },
    });
  });
  return versionToWire(await requireVersion(app, name, version));
}

export async function yankVersion(app: App, actor: Actor, name: string, version: string, yanked: boolean, reason: string | null, requestId?: string): Promise<PackageVersionWire> {
  await app.db.transaction(async () => {
    const v = await requireVersion(app, name, version);
    await setVersionYanked(app.db, v.id, yanked, yanked ? reason : null, app.now().toISOString());
    await refreshPackageSummary(app, name);
    await writeAudit(app, {
      actor, action: yanked ? "package.version.yanked" : "package.version.unyanked", target: { type: PACKAGE_TARGET, id: name },
      requestId, message: reason ?? undefined, metadata: { version, versionId: v.id, wasYanked: v.yanked },
    });
  });
  return versionToWire(await requireVersion(app, name, version));
}
