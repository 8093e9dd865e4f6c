// Inputs of the Capsule Bus: what an agent publishes, route rules (create, patch, preview) and list queries.
import { z } from "zod";
import { BUS_EVENT_OUTCOMES, BUS_ROUTE_STATUSES } from "../vocabulary.js";
import { idOf, isoTime, page, pageSize, q, sortParam } from "./common.js";
import { actionName, serviceCode } from "./services.js";

/** Dotted names like demo.item.created; they appear in URLs and filters, so they stay plain. */
export const eventType = z.string().min(1).max(120).regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, "letters, digits, _ . : and -, starting with a letter or digit");

/** Bigger templates are a sign of logic that belongs in the target service. */
export const TEMPLATE_MAX_BYTES = 16 * 1024;
const payloadTemplate = z
  .record(z.string().max(200), z.unknown())
  .refine((t) => JSON.stringify(t).length <= TEMPLATE_MAX_BYTES, { message: `at most ${TEMPLATE_MAX_BYTES} bytes of JSON` });

/**
 * POST /api/agents/:agentId/bus/events. z.object (not strict) on purpose: a `sourceServiceCode` in the
 * body is dropped, since the source is always the agent's own service.
 */
export const PublishEventBody = z.object({
  eventId: z.string().min(1).max(200).optional().describe("the agent's own id; a re-send with the same id gets the first answer"),
  eventType,
  timestamp: isoTime.optional(),
  data: z.unknown().optional(),
  metadata: z
    .looseObject({ correlationId: z.string().min(1).max(200).optional(), causationId: z.string().min(1).max(200).optional().describe("the command whose handler published this event") })
    .optional(),
  /** Only for agents with several services: which of ITS services published. */
  serviceCode: serviceCode.optional().describe("only for agents with several services: which of its own services publishes"),
});
export type PublishEventInput = z.output<typeof PublishEventBody>;

const trigger = z.strictObject({ eventType, sourceServiceCode: serviceCode.optional() });
const action = z.strictObject({ targetServiceCode: serviceCode, actionName, payloadTemplate: payloadTemplate.optional() });

export const CreateBusRouteBody = z.strictObject({
  name: z.string().trim().min(1).max(120),
  description: z.string().trim().max(2000).optional(),
  status: z.enum(BUS_ROUTE_STATUSES).default("DISABLED"),
  trigger,
  action,
  /** The operator confirms that this route may run a confirm-required or HIGH/CRITICAL action. */
  confirmed: z.boolean().default(false).describe("required to ENABLE a route whose target is confirm-required, HIGH or CRITICAL"),
});
export type CreateBusRouteInput = z.output<typeof CreateBusRouteBody>;

export const UpdateBusRouteBody = z
  .strictObject({
    name: z.string().trim().min(1).max(120).optional(),
    description: z.string().trim().max(2000).nullable().optional(),
    status: z.enum(BUS_ROUTE_STATUSES).optional(),
    trigger: z.strictObject({ eventType: eventType.optional(), sourceServiceCode: serviceCode.nullable().optional() }).optional(),
    action: z
      .strictObject({ targetServiceCode: serviceCode.optional(), actionName: actionName.optional(), payloadTemplate: payloadTemplate.nullable().optional() })
      .optional(),
    confirmed: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "send at least one field to change" });
export type UpdateBusRouteInput = z.output<typeof UpdateBusRouteBody>;

/** A route definition tried against a sample event, without saving anything. */
export const PreviewBusRouteBody = z.strictObject({
  trigger,
  action,
  confirmed: z.boolean().default(false),
  sampleEvent: z.strictObject({ eventType, sourceServiceCode: serviceCode, data: z.unknown().optional() }),
});
export type PreviewBusRouteInput = z.output<typeof PreviewBusRouteBody>;

export const ListBusRoutesQuery = {
  page, pageSize,
  sort: sortParam(["createdAt", "updatedAt", "name", "eventType"]),
  status: z.array(z.enum(BUS_ROUTE_STATUSES)).optional(),
  eventType: z.array(eventType).optional(),
  targetServiceCode: z.array(serviceCode).optional(),
  q: q.optional(),
};
export const LIST_BUS_ROUTES_ARRAYS = ["status", "eventType", "targetServiceCode"] as const;

export const ListBusEventsQuery = {
  page, pageSize,
  sort: sortParam(["createdAt", "eventType"]),
  eventType: z.array(eventType).optional(),
  source: z.array(serviceCode).optional(),
  outcome: z.array(z.enum(BUS_EVENT_OUTCOMES)).optional(),
  agentId: z.array(idOf("agt")).optional(),
};
export const LIST_BUS_EVENTS_ARRAYS = ["eventType", "source", "outcome", "agentId"] as const;

/**
 * The Opstage v0.4 route shape (`{match, target, inputMapping}`), accepted beside ours by POST and PUT.
 * `inputMapping` is our payload template (same `{{event.…}}` placeholders); `metadata` is accepted and
 * not stored (docs/compatibility.md). `experimental`, `id` and the timestamps a client echoes back are ignored.
 */
export const V04BusRouteBody = z.strictObject({
  id: z.string().max(200).optional(),
  name: z.string().trim().min(1).max(120),
  description: z.string().trim().max(2000).nullable().optional(),
  status: z.enum(BUS_ROUTE_STATUSES).optional(),
  match: z.strictObject({ eventType, sourceServiceCode: serviceCode.nullable().optional() }),
  target: z.strictObject({ serviceCode, actionName }),
  inputMapping: payloadTemplate.nullable().optional(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  confirmed: z.boolean().optional(),
  experimental: z.string().max(60).optional(),
  createdAt: z.string().max(60).optional(),
  updatedAt: z.string().max(60).optional(),
});
export type V04BusRouteInput = z.output<typeof V04BusRouteBody>;

/** PUT in our shape: a create body whose status and confirmation may be left out (kept as they are). */
export const ReplaceBusRouteBody = CreateBusRouteBody.extend({ status: z.enum(BUS_ROUTE_STATUSES).optional(), confirmed: z.boolean().optional() });
export type ReplaceBusRouteInput = z.output<typeof ReplaceBusRouteBody>;
