// Message routes: create, change, delete (each audited) and the preview ("which route would match
// this text"). A route may target a service that has not registered yet; whether the service accepts
// messages is judged every time a message is routed (domain/messages/ingest.ts) and shown here.
import type { Actor, App } from "../../context.js";
import {
  countMessageRoutes, deleteMessageRoute, getMessageRoute, insertMessageRoute, listMessageRoutes, MAX_MESSAGE_ROUTES, updateMessageRoute,
  type MessageRouteFilter, type MessageRouteMatch, type MessageRouteRow,
} from "../../db/messageRoutes.js";
import { getServiceByCode } from "../../db/services.js";
import { AppError } from "../../errors.js";
import type { Pagination } from "../../http/reply.js";
import { newId } from "../../ids.js";
import type { CreateMessageRouteInput, PreviewMessageRouteInput, UpdateMessageRouteInput } from "../../schemas/messages.js";
import type { MessageType } from "../../vocabulary.js";
import { writeAudit } from "../audit.js";
import { assertPattern, findRoute } from "./match.js";
import { declaredMessageTypes } from "./support.js";

export const MESSAGE_ROUTE_TARGET = "MessageRoute";

export async function messageRouteToWire(app: App, r: MessageRouteRow) {
  const service = await getServiceByCode(app.db, r.targetServiceCode);
  const types: MessageType[] = service ? declaredMessageTypes(service.manifest) : [];
  return {
    id: r.id, name: r.name, priority: r.priority, status: r.status, match: r.match, target: { serviceCode: r.targetServiceCode },
    targetInfo: { serviceId: service?.id ?? null, serviceName: service?.name ?? null, acceptsMessages: types.length > 0, supportedTypes: types },
    createdByUserId: r.createdByUserId, lastMatchedAt: r.lastMatchedAt, createdAt: r.createdAt, updatedAt: r.updatedAt,
  };
}
export type MessageRouteWire = Awaited<ReturnType<typeof messageRouteToWire>>;

export async function requireMessageRoute(app: App, id: string): Promise<MessageRouteRow> {
  const r = await getMessageRoute(app.db, id);
  if (!r) throw new AppError("MESSAGE_ROUTE_NOT_FOUND", "no such message route");
  return r;
}

export async function listMessageRoutesPage(app: App, f: MessageRouteFilter, page: number, pageSize: number): Promise<{ rows: MessageRouteWire[]; pagination: Pagination }> {
  const { rows, total } = await listMessageRoutes(app.db, f, page, pageSize);
  const wire: MessageRouteWire[] = [];
  for (const r of rows) wire.push(await messageRouteToWire(app, r));
  return { rows: wire, pagination: { page, pageSize, total } };
}

/** Drops empty lists and undefined keys, so the stored match says only what it checks. */
function cleanMatch(m: MessageRouteMatch): MessageRouteMatch {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) if (v !== undefined && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  return out as MessageRouteMatch;
}

const summary = (r: MessageRouteRow) => ({ name: r.name, priority: r.priority, status: r.status, match: r.match, targetServiceCode: r.targetServiceCode });

export async function createMessageRoute(app: App, actor: Actor, input: CreateMessageRouteInput, requestId?: string): Promise<MessageRouteRow> {
  assertPattern(input.match.textPattern);
  if (await countMessageRoutes(app.db) >= MAX_MESSAGE_ROUTES) {
    throw new AppError("VALIDATION_FAILED", `at most ${MAX_MESSAGE_ROUTES} message routes; delete one first`, { issues: [{ path: "", message: "too many routes" }] });
  }
  const nowIso = app.now().toISOString();
  const r: MessageRouteRow = {
    id: newId("mrt", app.now().getTime()), name: input.name, priority: input.priority, status: input.status, match: cleanMatch(input.match),
    targetServiceCode: input.target.serviceCode, createdByUserId: actor.type === "USER" ? actor.id : null, lastMatchedAt: null,
    createdAt: nowIso, updatedAt: nowIso,
  };
  await app.db.transaction(async () => {
    await insertMessageRoute(app.db, r);
    await writeAudit(app, { actor, action: "message.route.created", target: { type: MESSAGE_ROUTE_TARGET, id: r.id }, metadata: summary(r), requestId });
  });
  return r;
}

export async function changeMessageRoute(app: App, actor: Actor, id: string, p: UpdateMessageRouteInput, requestId?: string): Promise<MessageRouteRow> {
  assertPattern(p.match?.textPattern);
  return await app.db.transaction(async () => {
    const before = await requireMessageRoute(app, id);
    const next: MessageRouteRow = {
      ...before, name: p.name ?? before.name, priority: p.priority ?? before.priority, status: p.status ?? before.status,
      match: p.match ? cleanMatch(p.match) : before.match, targetServiceCode: p.target?.serviceCode ?? before.targetServiceCode,
      updatedAt: app.now().toISOString(),
    };
    await updateMessageRoute(app.db, next);
    await writeAudit(app, {
      actor, action: "message.route.updated", target: { type: MESSAGE_ROUTE_TARGET, id }, requestId, metadata: { before: summary(before), after: summary(next) },
    });
    return next;
  });
}

export async function removeMessageRoute(app: App, actor: Actor, id: string, requestId?: string): Promise<void> {
  await app.db.transaction(async () => {
    const r = await requireMessageRoute(app, id);
    await deleteMessageRoute(app.db, id);
    await writeAudit(app, { actor, action: "message.route.deleted", target: { type: MESSAGE_ROUTE_TARGET, id }, metadata: summary(r), requestId });
  });
}

/** The route a message like this would take now (or null: it would get the unrouted answer). Reads only. */
export async function previewMessageRoute(app: App, input: PreviewMessageRouteInput) {
  const r = await findRoute(app, {
    channel: input.channel, type: input.type, text: input.text, senderId: input.senderId, conversationId: input.conversationId,
  });
  return { route: r ? await messageRouteToWire(app, r) : null, unroutedReply: r ? null : app.config.messagesUnroutedReply };
}
