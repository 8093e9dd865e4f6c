// OpenAPI response components of the catalog (packages, versions; Capstan additions, catalog.md).
// The publish body is the descriptor itself: generated from its zod schema in requests.ts.
import { PACKAGE_DIGEST_SOURCES, PACKAGE_VERSION_STATUSES } from "../vocabulary.js";

type Schema = Record<string, unknown>;
const str = (): Schema => ({ type: "string" });
const nstr = (): Schema => ({ type: ["string", "null"] });
const time = (): Schema => ({ type: "string", format: "date-time" });
const strs = (): Schema => ({ type: "array", items: { type: "string" } });
const obj = (properties: Schema, required: string[] = []): Schema => ({ type: "object", required, properties });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

export const PACKAGE_SCHEMAS: Record<string, Schema> = {
  Package: obj({
    name: str(), description: nstr(), runtime: nstr(), tags: strs(), capabilities: strs(), latestVersion: nstr(), createdAt: time(), updatedAt: time(),
  }, ["name", "tags", "capabilities", "createdAt", "updatedAt"]),
  PackageVersion: obj({
    id: { type: "string", pattern: "^pkv_" }, name: str(), version: str(), status: { type: "string", enum: [...PACKAGE_VERSION_STATUSES] },
    digest: str(), digestSource: { type: "string", enum: [...PACKAGE_DIGEST_SOURCES], description: "artifact: artifact.digest; descriptor: sha256 of the canonical descriptor" },
    publisher: str(), publisherUserId: nstr(), approvalId: nstr(), decisionReason: nstr(), decidedAt: { type: ["string", "null"], format: "date-time" },
    deprecated: nstr(), yanked: { type: "boolean" }, yankedReason: nstr(), createdAt: time(), descriptor: ref("PackageDescriptor"),
  }, ["id", "name", "version", "status", "digest", "digestSource", "publisher", "deprecated", "yanked", "createdAt", "descriptor"]),
  PackageDetail: {
    allOf: [ref("Package"), obj({
      versions: { type: "array", items: ref("PackageVersion") },
      services: { type: "array", description: "where it runs: services whose manifest.package names the package", items: { type: "object", additionalProperties: true } },
    }, ["versions", "services"])],
  },
};
