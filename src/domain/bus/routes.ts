// Bus route rules: create, change, delete (each with its audit event) and the confirmation rule: a
// route may run a confirm-required or HIGH/CRITICAL action only if an operator confirmed exactly that.
import type { Actor, App } from "../../context.js";
import {
  deleteBusRoute, getBusRoute, insertBusRoute, listBusRoutes, updateBusRoute, type BusRouteFilter, type BusRouteRow,
} from "../../db/busRoutes.js";
import type { SortKey } from "../../db/query.js";
import { getServiceByCode } from "../../db/services.js";
import { getActionDefinition } from "../../db/serviceParts.js";
import { AppError } from "../../errors.js";
import type { Pagination } from "../../http/reply.js";
import { newId } from "../../ids.js";
import type { CreateBusRouteInput, UpdateBusRouteInput } from "../../schemas/bus.js";
import { writeAudit } from "../audit.js";
import { auditRefusal } from "../commands/lifecycle.js";
import { needsConfirmation } from "../commands/execute.js";
import { templateIssues } from "./template.js";
import { v04RouteFields, v04TargetFields } from "./v04.js";

export { BUS_ROUTE_STATUSES } from "../../vocabulary.js";

export const ROUTE_TARGET = "BusRoute";

/** What the route's target currently is; null fields when the service or action is not known (yet). */
export async function describeTarget(app: App, r: Pick<BusRouteRow, "targetServiceCode" | "actionName">) {
  const service = await getServiceByCode(app.db, r.targetServiceCode);
  const action = service ? await getActionDefinition(app.db, service.id, r.actionName) : undefined;
  return {
    serviceId: service?.id ?? null,
    actionFound: action !== undefined,
    actionLabel: action?.label ?? null,
    dangerLevel: action?.dangerLevel ?? null,
    needsConfirmation: action ? needsConfirmation(action) : null,
  };
}
export type TargetInfo = Awaited<ReturnType<typeof describeTarget>>;

export async function busRouteToWire(app: App, r: BusRouteRow) {
  return {
    id: r.id, name: r.name, description: r.description, status: r.status,
    trigger: { eventType: r.eventType, sourceServiceCode: r.sourceServiceCode },
    action: { targetServiceCode: r.targetServiceCode, actionName: r.actionName, payloadTemplate: r.payloadTemplate },
    confirmed: r.confirmed, confirmedAt: r.confirmedAt, confirmedByUserId: r.confirmedByUserId,
    target: { ...await describeTarget(app, r), ...v04TargetFields(r) },
    createdByUserId: r.createdByUserId, lastMatchedAt: r.lastMatchedAt, createdAt: r.createdAt, updatedAt: r.updatedAt,
    ...v04RouteFields(r), // the Opstage v0.4 console's names for the same route
  };
}
export type BusRouteWire = Awaited<ReturnType<typeof busRouteToWire>>;

export async function requireBusRoute(app: App, id: string): Promise<BusRouteRow> {
  const r = await getBusRoute(app.db, id);
  if (!r) throw new AppError("BUS_ROUTE_NOT_FOUND", "no such bus route");
  return r;
}

export async function listBusRoutesPage(app: App, f: BusRouteFilter, sort: SortKey[], page: number, pageSize: number): Promise<{ rows: BusRouteWire[]; pagination: Pagination }> {
  const { rows, total } = await listBusRoutes(app.db, f, sort, page, pageSize);
  const wire: BusRouteWire[] = [];
  for (const r of rows) wire.push(await busRouteToWire(app, r));
  return { rows: wire, pagination: { page, pageSize, total } };
}

export function assertTemplate(template: unknown): void {
  const issues = templateIssues(template);
  if (issues.length) throw new AppError("VALIDATION_FAILED", issues[0]!.message, { issues });
}

/**
 * An ENABLED route whose target needs confirmation must carry `confirmed`. A target that is not
 * known yet cannot be judged here; executeAction checks again every time the route fires.
 */
async function assertConfirmed(app: App, actor: Actor, r: BusRouteRow, requestId?: string): Promise<void> {
  if (r.status !== "ENABLED" || r.confirmed) return;
  const target = await describeTarget(app, r);
  if (!target.needsConfirmation) return;
  const message = `${r.actionName} on ${r.targetServiceCode} (${target.dangerLevel}) needs confirmation: enable the route with confirmed: true`;
  await auditRefusal(app, actor, "bus.route.updated", { type: ROUTE_TARGET, id: r.id }, "BUS_ROUTE_CONFIRMATION_REQUIRED", {
    actionName: r.actionName, targetServiceCode: r.targetServiceCode, dangerLevel: target.dangerLevel, message,
  }, requestId);
  throw new AppError("BUS_ROUTE_CONFIRMATION_REQUIRED", message, { dangerLevel: target.dangerLevel, actionName: r.actionName, targetServiceCode: r.targetServiceCode });
}

const summary = (r: BusRouteRow) => ({
  name: r.name, status: r.status, eventType: r.eventType, sourceServiceCode: r.sourceServiceCode,
  targetServiceCode: r.targetServiceCode, actionName: r.actionName, payloadTemplate: r.payloadTemplate, confirmed: r.confirmed,
});

export async function createBusRoute(app: App, actor: Actor, input: CreateBusRouteInput, requestId?: string): Promise<BusRouteRow> {
  assertTemplate(input.action.payloadTemplate);
  const nowIso = app.now().toISOString();
  const userId = actor.type === "USER" ? actor.id : null;
  const r: BusRouteRow = {
    id: newId("brr", app.now().getTime()), name: input.name, description: input.description ?? null, status: input.status,
    eventType: input.trigger.eventType, sourceServiceCode: input.trigger.sourceServiceCode ?? null,
    targetServiceCode: input.action.targetServiceCode, actionName: input.action.actionName, payloadTemplate: input.action.payloadTemplate ?? null,
    confirmed: input.confirmed, confirmedByUserId: input.confirmed ? userId : null, confirmedAt: input.confirmed ? nowIso : null,
    createdByUserId: userId, lastMatchedAt: null, createdAt: nowIso, updatedAt: nowIso,
  };
  await assertConfirmed(app, actor, r, requestId);
  await app.db.transaction(async () => {
    await insertBusRoute(app.db, r);
    await writeAudit(app, { actor, action: "bus.route.created", target: { type: ROUTE_TARGET, id: r.id }, metadata: summary(r), requestId });
  });
  return r;
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Merges a PATCH. Changing what the route runs (service, action or template) clears an earlier confirmation. */
function merge(before: BusRouteRow, p: UpdateBusRouteInput, userId: string | null, nowIso: string): BusRouteRow {
  const next: BusRouteRow = {
    ...before,
    name: p.name ?? before.name,
    description: p.description === undefined ? before.description : p.description,
    status: p.status ?? before.status,
    eventType: p.trigger?.eventType ?? before.eventType,
    sourceServiceCode: p.trigger?.sourceServiceCode === undefined ? before.sourceServiceCode : p.trigger.sourceServiceCode,
    targetServiceCode: p.action?.targetServiceCode ?? before.targetServiceCode,
    actionName: p.action?.actionName ?? before.actionName,
    payloadTemplate: p.action?.payloadTemplate === undefined ? before.payloadTemplate : p.action.payloadTemplate,
    updatedAt: nowIso,
  };
  const whatRunsChanged = next.targetServiceCode !== before.targetServiceCode || next.actionName !== before.actionName
    || !sameJson(next.payloadTemplate, before.payloadTemplate);
  if (p.confirmed === true) Object.assign(next, { confirmed: true, confirmedByUserId: userId, confirmedAt: nowIso });
  else if (p.confirmed === false || whatRunsChanged) Object.assign(next, { confirmed: false, confirmedByUserId: null, confirmedAt: null });
  return next;
}

export async function changeBusRoute(app: App, actor: Actor, id: string, patch: UpdateBusRouteInput, requestId?: string): Promise<BusRouteRow> {
  if (patch.action?.payloadTemplate) assertTemplate(patch.action.payloadTemplate);
  const before = await requireBusRoute(app, id);
  const next = merge(before, patch, actor.type === "USER" ? actor.id : null, app.now().toISOString());
  await assertConfirmed(app, actor, next, requestId);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const a = summary(before);
  const b = summary(next);
  for (const key of Object.keys(b) as (keyof typeof b)[]) if (!sameJson(a[key], b[key])) changes[key] = { from: a[key], to: b[key] };
  if (before.description !== next.description) changes.description = { from: before.description, to: next.description };
  await app.db.transaction(async () => {
    await updateBusRoute(app.db, next);
    await writeAudit(app, {
      actor, action: "bus.route.updated", target: { type: ROUTE_TARGET, id }, requestId,
      metadata: { name: next.name, changes, ...(patch.confirmed === true ? { confirmedBy: next.confirmedByUserId } : {}) },
    });
  });
  return next;
}

export async function removeBusRoute(app: App, actor: Actor, id: string, requestId?: string): Promise<void> {
  await app.db.transaction(async () => {
    const r = await requireBusRoute(app, id);
    await deleteBusRoute(app.db, id);
    await writeAudit(app, { actor, action: "bus.route.deleted", target: { type: ROUTE_TARGET, id }, metadata: summary(r), requestId });
  });
}
