// Inputs of the catalog's admin API and console (the descriptor itself: packageDescriptor.ts).
import { z } from "zod";
import { page, pageSize, q, sortParam } from "./common.js";
import { packageDigest } from "./packageDescriptor.js";

export const PACKAGE_SORT_FIELDS = ["name", "updatedAt", "createdAt"] as const;

export const ListPackagesQuery = {
  page, pageSize,
  sort: sortParam(PACKAGE_SORT_FIELDS, "name"),
  q: q.optional(),
  runtime: z.array(z.string().min(1).max(40)).max(20).optional(),
};
export const LIST_PACKAGES_ARRAYS = ["runtime"] as const;

/** POST /api/admin/packages?digest=sha256:…: the digest the publisher computed, checked against the version's. */
export const PublishQuery = { digest: packageDigest.optional() };

const reason = z.string().trim().max(500);
/** Yank: a reason is kept with the version (empty: none). */
export const YankBody = z.object({ reason: reason.optional().transform((v) => v || null) });
/** Deprecate: the message users see; null or empty clears the mark. */
export const DeprecateBody = z.object({ message: reason.nullable().optional().transform((v) => v || null) });
