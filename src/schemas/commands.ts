// Input schemas of the command engine: agent poll/progress/result, operator execute/retry/cancel, list queries.
import { z } from "zod";
import { AppError } from "../errors.js";
import { COMMAND_STATUSES, COMMAND_TYPES, LOG_LEVELS } from "../vocabulary.js";
import { idOf, isoTime, page, pageSize, parseQuery, sortParam } from "./common.js";

const jsonObject = z.record(z.string(), z.unknown());

/** limit and waitSeconds are clamped by the domain (the reference clamps invalid limits), garbage is 422. */
export const PollQuery = {
  limit: z.coerce.number().finite().default(10),
  waitSeconds: z.coerce.number().finite().default(0),
};

/** percent is a fraction 0..1 (the SDK's ctx.progress(0.5) is half way). */
export const ProgressBody = z.object({
  percent: z.number().min(0).max(1).optional(),
  message: z.string().max(1000).optional(),
  logs: z
    .array(z.object({ at: isoTime.optional(), level: z.enum(LOG_LEVELS), message: z.string().max(8192) }))
    .max(500)
    .optional(),
});

// No length caps on message/data/error here: their combined size is checked by the domain, which
// answers 413 COMMAND_RESULT_TOO_LARGE as the contract requires (a 422 would hide the reason).
/**
 * The SDK's execution trace (issue #20). Every field bounded: attempts 0..100 (0: the action was unknown), times up to ~11.6 days
 * in ms, heap up to 1 TB in MB. Unknown keys inside are dropped (a newer SDK's extra field must not
 * turn its result into a 422 the SDK would discard); a wrong type or range is 422.
 */
export const ResultMetrics = z.object({
  attempts: z.number().int().min(0).max(100),
  durationMs: z.number().finite().min(0).max(1e9),
  cpuUserMs: z.number().finite().min(0).max(1e9),
  cpuSystemMs: z.number().finite().min(0).max(1e9),
  peakHeapMb: z.number().finite().min(0).max(1e6).optional(),
});

export const ResultBody = z.object({
  success: z.boolean(),
  message: z.string().optional(),
  data: jsonObject.optional(),
  error: z.looseObject({ code: z.string().min(1).max(120).optional(), message: z.string().optional() }).optional(),
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  metrics: ResultMetrics.optional(),
});

export const ExecuteBody = z.object({
  payload: jsonObject.optional(),
  confirmation: z.boolean().optional(),
});

export const RetryBody = z.object({ confirmation: z.boolean().optional() });
export const CancelBody = z.object({});

const ListCommandsShape = {
  page,
  pageSize,
  sort: sortParam(["createdAt", "finishedAt"]),
  status: z.array(z.enum(COMMAND_STATUSES)).optional(),
  type: z.array(z.enum(COMMAND_TYPES)).optional(),
  actionName: z.array(z.string().min(1).max(120)).optional(),
  serviceId: z.array(idOf("svc")).optional(),
  agentId: z.array(idOf("agt")).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
};

/** Normalises from/to to ISO UTC with milliseconds so they compare with stored timestamps as strings. */
export function parseListCommandsQuery(query: URLSearchParams) {
  const q = parseQuery(query, ListCommandsShape, ["status", "type", "actionName", "serviceId", "agentId"]);
  const from = q.from ? new Date(q.from).toISOString() : undefined;
  const to = q.to ? new Date(q.to).toISOString() : undefined;
  if (from && to && from > to) {
    throw new AppError("VALIDATION_FAILED", "from must not be after to", { issues: [{ path: "from", message: "must not be after to" }] });
  }
  return { ...q, from, to };
}

export const LogsQuery = {
  afterId: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
};
