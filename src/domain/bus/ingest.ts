// Ingest: an agent's event -> stored event, audit, and at most one command per matching route. The
// whole fan-out is one transaction, so an event is never recorded without what it caused (or the reverse).
import type { Actor, App } from "../../context.js";
import { getBusEventByClientId, insertBusEvent, type BusEventOutcome, type BusEventRow, type BusMatch } from "../../db/busEvents.js";
import { liveRoutesFor, touchBusRouteMatched, type BusRouteRow } from "../../db/busRoutes.js";
import { getCommand } from "../../db/commands.js";
import { getActionDefinition } from "../../db/serviceParts.js";
import { getServiceByCode, listServicesOfAgent, type ServiceRow } from "../../db/services.js";
import { AppError } from "../../errors.js";
import { newId } from "../../ids.js";
import type { PublishEventInput } from "../../schemas/bus.js";
import type { LiveBusRouteStatus } from "../../vocabulary.js";
import { writeAudit } from "../audit.js";
import { executeAction } from "../commands/execute.js";
import { auditRefusal } from "../commands/lifecycle.js";
import { withoutSecrets } from "../commands/payload.js";
import { redact } from "../redact.js";
import { triggerMismatches } from "./match.js";
import { ROUTE_TARGET } from "./routes.js";
import { renderPayload, type TemplateEvent } from "./template.js";

export const EVENT_TARGET = "BusEvent";

export interface IngestResult {
  eventId: string;
  outcome: BusEventOutcome;
  matchedRoutes: BusMatch[];
  commandIds: string[];
}

/**
 * The publishing service is always one of the agent's own (not released) services: with one, that one;
 * with several, the body must name one of them. A body can never make an event come from elsewhere.
 */
export async function sourceServiceOf(app: App, agentId: string, serviceCode: string | undefined): Promise<ServiceRow> {
  const own = (await listServicesOfAgent(app.db, agentId)).filter((s) => s.releasedAt === null);
  if (serviceCode !== undefined) {
    const named = own.find((s) => s.code === serviceCode);
    if (!named) throw new AppError("CAPSULE_SERVICE_NOT_OWNED", "serviceCode must name one of this agent's own services");
    return named;
  }
  if (own.length === 1) return own[0]!;
  throw new AppError("VALIDATION_FAILED", own.length === 0 ? "this agent has reported no service to publish for" : "this agent has several services: send serviceCode", {
    issues: [{ path: "serviceCode", message: own.length === 0 ? "report a service first" : `one of ${own.map((s) => s.code).join(", ")}` }],
  });
}

const resultOf = (e: BusEventRow): IngestResult => ({ eventId: e.id, outcome: e.outcome, matchedRoutes: e.matches, commandIds: e.commandIds });

function outcomeOf(matches: BusMatch[]): BusEventOutcome {
  if (matches.length === 0) return "UNMATCHED";
  const created = matches.filter((m) => m.outcome === "COMMAND_CREATED").length;
  const failed = matches.filter((m) => m.outcome === "FAILED").length;
  if (failed && created) return "PARTIAL";
  if (failed) return "FAILED";
  return created ? "DISPATCHED" : "DRY_RUN";
}

/** Renders a route's payload; a template that would outgrow the body limit is an error, not an exception. */
function rendered(app: App, route: BusRouteRow, event: TemplateEvent): Record<string, unknown> | AppError {
  try {
    return renderPayload(route.payloadTemplate, event, app.config.bodyLimitBytes);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
}

/** The payload as audit metadata may show it: fields the target action marks secret replaced. */
async function auditable(app: App, route: BusRouteRow, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
  const service = await getServiceByCode(app.db, route.targetServiceCode);
  const action = service ? await getActionDefinition(app.db, service.id, route.actionName) : undefined;
  return withoutSecrets(action?.inputSchema ?? null, payload);
}

/** One matching route: DRY_RUN audits what it would run; ENABLED creates the command through every execute check. */
async function fire(app: App, route: BusRouteRow, event: TemplateEvent, requestId: string | undefined): Promise<BusMatch> {
  const routeActor: Actor = { type: "SYSTEM", id: route.id };
  const base = { routeId: route.id, routeName: route.name, status: route.status as LiveBusRouteStatus };
  const payload = rendered(app, route, event);
  const wouldRun = {
    targetServiceCode: route.targetServiceCode, actionName: route.actionName,
    ...(payload instanceof AppError ? {} : { payload: await auditable(app, route, payload) }),
  };
  await writeAudit(app, {
    actor: routeActor, action: "bus.route.matched", target: { type: ROUTE_TARGET, id: route.id }, requestId,
    metadata: { eventId: event.eventId, eventType: event.eventType, sourceServiceCode: event.sourceServiceCode, status: route.status, ...(route.status === "DRY_RUN" ? { wouldRun } : {}) },
  });
  await touchBusRouteMatched(app.db, route.id, app.now().toISOString());
  try {
    if (payload instanceof AppError) throw payload;
    if (route.status === "DRY_RUN") return { ...base, outcome: "DRY_RUN" };
    const service = await getServiceByCode(app.db, route.targetServiceCode);
    if (!service) throw new AppError("CAPSULE_SERVICE_NOT_FOUND", `no capsule service with code ${route.targetServiceCode}`);
    const command = await executeAction(app, {
      serviceId: service.id, actionName: route.actionName, payload, confirmation: route.confirmed,
      actor: routeActor, createdByType: "BUS", sourceEventId: event.eventId, requestId,
      // an action that needs approval waits for a reviewer who is not the route's author
      requesterUserId: route.createdByUserId,
    });
    await writeAudit(app, {
      actor: routeActor, action: "bus.command.created", target: { type: "Command", id: command.id }, requestId,
      metadata: { routeId: route.id, eventId: event.eventId, eventType: event.eventType, serviceId: service.id, actionName: route.actionName },
    });
    return { ...base, outcome: "COMMAND_CREATED", commandId: command.id };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    await writeAudit(app, {
      actor: routeActor, action: "bus.route.failed", target: { type: ROUTE_TARGET, id: route.id }, result: "FAILURE", requestId,
      metadata: { eventId: event.eventId, eventType: event.eventType, errorCode: err.code, message: err.message, ...wouldRun },
    });
    return { ...base, outcome: "FAILED", errorCode: err.code, message: err.message };
  }
}

export async function ingestEvent(app: App, agentId: string, body: PublishEventInput, requestId?: string): Promise<IngestResult> {
  const agentActor: Actor = { type: "AGENT", id: agentId };
  let source: ServiceRow;
  try {
    source = await sourceServiceOf(app, agentId, body.serviceCode);
  } catch (err) {
    // naming a service that is not the agent's own is worth a trace: it may be an attempt to impersonate it
    if (err instanceof AppError && err.code === "CAPSULE_SERVICE_NOT_OWNED") {
      await auditRefusal(app, agentActor, "bus.event.received", { type: "Agent", id: agentId }, err.code, { eventType: body.eventType, serviceCode: body.serviceCode });
    }
    throw err;
  }
  const now = app.now();
  const row: BusEventRow = {
    id: newId("bev", now.getTime()), clientEventId: body.eventId ?? null, agentId, sourceServiceId: source.id, sourceServiceCode: source.code,
    eventType: body.eventType, occurredAt: body.timestamp ?? null,
    // stored redacted like everything else; routes render from the raw data in memory below
    data: redact(body.data ?? null), metadata: body.metadata ? redact(body.metadata) : null,
    outcome: "UNMATCHED", errorCode: null, matches: [], commandIds: [], createdAt: now.toISOString(),
  };
  const received = {
    eventType: row.eventType, sourceServiceCode: row.sourceServiceCode, clientEventId: row.clientEventId,
    correlationId: body.metadata?.correlationId ?? null, causationId: body.metadata?.causationId ?? null,
  };

  // Loop guard: an event caused by a command the bus created is refused, whatever its type.
  const causationId = body.metadata?.causationId;
  const cause = causationId ? await getCommand(app.db, causationId) : undefined;

  const outcome = await app.db.transaction(async (): Promise<IngestResult | AppError> => {
    const prior = row.clientEventId ? await getBusEventByClientId(app.db, agentId, row.clientEventId) : undefined;
    if (prior) return prior.outcome === "REFUSED" ? depthError(prior.id, causationId) : resultOf(prior);
    if (cause?.createdByType === "BUS") {
      await insertBusEvent(app.db, { ...row, outcome: "REFUSED", errorCode: "BUS_DEPTH_EXCEEDED" });
      await writeAudit(app, {
        actor: agentActor, action: "bus.event.received", target: { type: EVENT_TARGET, id: row.id }, result: "FAILURE", requestId,
        metadata: { ...received, errorCode: "BUS_DEPTH_EXCEEDED", causeSourceEventId: cause.sourceEventId },
      });
      return depthError(row.id, causationId);
    }
    await writeAudit(app, { actor: agentActor, action: "bus.event.received", target: { type: EVENT_TARGET, id: row.id }, metadata: received, requestId });
    const event: TemplateEvent = { eventId: row.id, eventType: row.eventType, sourceServiceCode: row.sourceServiceCode, data: body.data ?? null };
    const matches: BusMatch[] = [];
    for (const route of await liveRoutesFor(app.db, row.eventType)) {
      if (triggerMismatches(route, row).length === 0) matches.push(await fire(app, route, event, requestId)); // in order: same transaction
    }
    if (matches.length === 0) {
      await writeAudit(app, {
        actor: { type: "SYSTEM", id: null }, action: "bus.route.unmatched", target: { type: EVENT_TARGET, id: row.id }, requestId,
        metadata: { eventType: row.eventType, sourceServiceCode: row.sourceServiceCode },
      });
    }
    const done: BusEventRow = { ...row, matches, outcome: outcomeOf(matches), commandIds: matches.flatMap((m) => (m.commandId ? [m.commandId] : [])) };
    await insertBusEvent(app.db, done);
    return resultOf(done);
  });
  // the refusal is committed (event + audit) before it is thrown
  if (outcome instanceof AppError) throw outcome;
  return outcome;
}

const depthError = (eventId: string, causationId: string | undefined): AppError =>
  new AppError("BUS_DEPTH_EXCEEDED", "this event was caused by a command the bus created; the bus does not chain events (loop guard)", { eventId, causationId });

