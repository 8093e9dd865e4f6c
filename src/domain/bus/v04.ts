// The Opstage v0.4 route shape beside ours: reading a `{match, target, inputMapping}` body into our
// inputs, and the extra fields every route and event answer carries so the upstream console can read
// them. Ours stay as they are; nothing here changes what a route does.
import type { BusEventRow } from "../../db/busEvents.js";
import type { BusRouteRow } from "../../db/busRoutes.js";
import type {
  CreateBusRouteInput, ReplaceBusRouteInput, UpdateBusRouteInput, V04BusRouteInput,
} from "../../schemas/bus.js";

export const V04_EXPERIMENTAL = "v0.4-experimental";

/** Which shape a route body is in: v0.4's has `match` or `target`, ours `trigger`/`action`. */
export const isV04RouteBody = (body: unknown): boolean =>
  typeof body === "object" && body !== null && !Array.isArray(body) && ("match" in body || "target" in body);

/** POST: a v0.4 body becomes our create input (DISABLED unless a status is given, as ours). */
export const v04ToCreate = (b: V04BusRouteInput): CreateBusRouteInput => ({
  name: b.name, ...(b.description ? { description: b.description } : {}), status: b.status ?? "DISABLED",
  trigger: { eventType: b.match.eventType, ...(b.match.sourceServiceCode ? { sourceServiceCode: b.match.sourceServiceCode } : {}) },
  action: { targetServiceCode: b.target.serviceCode, actionName: b.target.actionName, ...(b.inputMapping ? { payloadTemplate: b.inputMapping } : {}) },
  confirmed: b.confirmed ?? false,
});

/**
 * PUT is a full replacement: what the body leaves out is cleared (description, source, template),
 * except `status` (kept, so an edit that omits it never switches a route off or on) and `confirmed`
 * (kept unless what the route runs changes: the PATCH rule).
 */
export function replacementOf(body: { v04: V04BusRouteInput } | { ours: ReplaceBusRouteInput }): UpdateBusRouteInput {
  const c = "v04" in body
    ? { ...v04ToCreate(body.v04), status: body.v04.status, confirmed: body.v04.confirmed }
    : body.ours;
  return {
    name: c.name, description: c.description ?? null,
    ...(c.status ? { status: c.status } : {}),
    trigger: { eventType: c.trigger.eventType, sourceServiceCode: c.trigger.sourceServiceCode ?? null },
    action: { targetServiceCode: c.action.targetServiceCode, actionName: c.action.actionName, payloadTemplate: c.action.payloadTemplate ?? null },
    ...(c.confirmed !== undefined ? { confirmed: c.confirmed } : {}),
  };
}

/** v0.4 fields of a route answer; `target` is merged into ours (which already says what is known about it). */
export const v04RouteFields = (r: BusRouteRow) => ({
  match: { eventType: r.eventType, sourceServiceCode: r.sourceServiceCode },
  inputMapping: r.payloadTemplate ?? {},
  metadata: {},
  experimental: V04_EXPERIMENTAL,
});
export const v04TargetFields = (r: BusRouteRow) => ({ serviceCode: r.targetServiceCode, actionName: r.actionName });

/** v0.4 fields of an event row. */
export const v04EventFields = (e: BusEventRow) => ({
  payload: e.data,
  correlationId: (e.metadata?.correlationId as string | undefined) ?? null,
  causationId: (e.metadata?.causationId as string | undefined) ?? null,
  occurredAt: e.occurredAt ?? e.createdAt,
  acceptedAt: e.createdAt,
  routeCount: e.matches.length,
  experimental: V04_EXPERIMENTAL,
});
