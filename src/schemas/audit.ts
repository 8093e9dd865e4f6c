// Inputs of the audit list and export.
import { z } from "zod";
import { ACTOR_TYPES, AUDIT_RESULTS } from "../vocabulary.js";
import { isoTime, page, pageSize, q, sortParam } from "./common.js";

const filters = {
  actorType: z.array(z.enum(ACTOR_TYPES)).optional(),
  actorId: z.array(z.string().min(1).max(160)).optional(),
  action: z.array(z.string().min(1).max(160)).optional(),
  targetType: z.array(z.string().min(1).max(80)).optional(),
  targetId: z.array(z.string().min(1).max(160)).optional(),
  result: z.array(z.enum(AUDIT_RESULTS)).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  q: q.optional(),
};
export const AUDIT_QUERY_ARRAYS = ["actorType", "actorId", "action", "targetType", "targetId", "result"] as const;

export const ListAuditQuery = { ...filters, page, pageSize, sort: sortParam(["createdAt"]) };
export const ExportAuditQuery = { ...filters, format: z.enum(["csv", "json", "ndjson"]).default("csv"), sort: sortParam(["createdAt"]) };
