// manifest.package (catalog.md): which Capsule Package a service runs, as its agent reports it. Kept
// apart from schemas/services.ts (packageDescriptor.ts imports that module) to keep imports one-way.
import { z } from "zod";
import { packageDigest, packageName, packageVersion } from "./packageDescriptor.js";

export const ManifestPackage = z.strictObject({ name: packageName, version: packageVersion, digest: packageDigest.optional() });
export type ManifestPackageT = z.infer<typeof ManifestPackage>;

/** POST /api/admin/package-installs: allow a package version (optionally one digest) on an agent, or on all agents (agentId null or absent). */
export const InstallRequestBody = z.strictObject({
  packageName: packageName,
  version: packageVersion,
  digest: packageDigest.nullable().optional(),
  agentId: z.string().regex(/^agt_[0-9A-HJKMNP-TV-Z]{26}$/, "must be an agt_ id").nullable().optional(),
});

/** GET /api/admin/package-installs?packageName=&version=: the requests of one package version. */
export const ListInstallsQuery = { packageName, version: packageVersion };
