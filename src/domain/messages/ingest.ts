// A message arrives (HTTP or Telegram): rate limits, store (audited), route to one service as a
// MESSAGE command through the ordinary durable command path, or answer it at once (unrouted, target
// refused). The message is committed before it is routed, so a channel may acknowledge it then
// (Telegram: the update offset) and a crash after that loses nothing: re-delivery resumes routing.
import type { Actor, App } from "../../context.js";
import { getAgent } from "../../db/agents.js";
import { markMessageRouteMatched } from "../../db/messageRoutes.js";
import { getMessage, insertMessage, messageByExternalId, setMessageRouting, type MessageReply, type MessageRow, type RoutingOutcome } from "../../db/messages.js";
import { getServiceByCode } from "../../db/services.js";
import { AppError } from "../../errors.js";
import { newId } from "../../ids.js";
import type { MessageChannel, MessageType } from "../../vocabulary.js";
import { isAgentAvailable } from "../agents.js";
import { writeAudit } from "../audit.js";
import { createCommand } from "../commands/lifecycle.js";
import { findRoute } from "./match.js";
import { takeMessageSlots } from "./rateLimit.js";
import { acceptsMessageType } from "./support.js";

export const MESSAGE_TARGET = "ConversationMessage";
/** The action name of every MESSAGE command (the SDKs dispatch MESSAGE by type, not by this name). */
export const MESSAGE_ACTION = "message";

export interface IncomingMessage {
  channel: MessageChannel;
  /** The channel's own id of this message (Telegram update_id): stored once however often it is delivered. */
  externalId?: string | null | undefined;
  conversationId: string;
  sender: { id: string; name?: string | undefined };
  type: MessageType;
  text: string;
  attachments?: { kind: string; url?: string | undefined; name?: string | undefined }[] | undefined;
  replyToRef?: string | null | undefined;
  correlationId?: string | undefined;
}

const preview = (text: string): string => (text.length > 200 ? `${text.slice(0, 200)}…` : text);
const polite = (text: string): MessageReply => ({ text, format: "text" });

/**
 * Stores and routes one message. Over a rate limit the HTTP channel gets 429 (nothing stored); other
 * channels (`record: true`) store it as FAILED with no reply, so a pulled update is never retried forever.
 */
export async function receiveMessage(
  app: App, actor: Actor, input: IncomingMessage, opts: { requestId?: string | undefined; recordRefusals?: boolean } = {},
): Promise<{ message: MessageRow; duplicate: boolean }> {
  const { requestId } = opts;
  if (input.externalId) {
    const seen = await messageByExternalId(app.db, input.channel, input.externalId);
    if (seen) return { message: await resume(app, actor, seen, requestId), duplicate: true };
  }
  let refused: AppError | undefined;
  try {
    await takeMessageSlots(app, actor, input.channel, input.sender.id, requestId);
  } catch (err) {
    if (!(err instanceof AppError) || !opts.recordRefusals) throw err;
    refused = err;
  }
  const now = app.now();
  const id = newId("msg", now.getTime());
  const stored = await app.db.transaction(async () => {
    const fresh = await insertMessage(app.db, {
      id, channel: input.channel, externalId: input.externalId ?? null, conversationId: input.conversationId, senderId: input.sender.id,
      senderName: input.sender.name ?? null, type: input.type, text: input.text, attachments: input.attachments ?? null,
      replyToRef: input.replyToRef ?? null, correlationId: input.correlationId ?? id,
      submittedByUserId: actor.type === "USER" ? actor.id : null, receivedAt: now.toISOString(),
    });
    if (!fresh) return false;
    await writeAudit(app, {
      actor, action: "message.received", target: { type: MESSAGE_TARGET, id }, requestId,
      metadata: { channel: input.channel, conversationId: input.conversationId, senderId: input.sender.id, type: input.type, text: preview(input.text), textLength: input.text.length },
    });
    if (refused) {
      await settle(app, actor, id, { status: "FAILED", errorCode: refused.code, reply: null }, "message.refused", requestId, { message: refused.message });
    }
    return true;
  });
  if (!stored) {
    // another node (or an earlier attempt) stored the same external id between our check and insert
    const seen = input.externalId ? await messageByExternalId(app.db, input.channel, input.externalId) : undefined;
    if (!seen) throw new AppError("CONFLICT", "the message could not be stored");
    return { message: await resume(app, actor, seen, requestId), duplicate: true };
  }
  const m = (await getMessage(app.db, id))!;
  return { message: m.status === "RECEIVED" ? await routeMessage(app, actor, m, requestId) : m, duplicate: false };
}

/** A message seen again: routed already, or (crash between store and route) routed now. */
async function resume(app: App, actor: Actor, m: MessageRow, requestId?: string): Promise<MessageRow> {
  return m.status === "RECEIVED" ? await routeMessage(app, actor, m, requestId) : m;
}

type Outcome = Pick<RoutingOutcome, "status" | "errorCode" | "reply"> & Partial<RoutingOutcome>;

/** Records a routing outcome without a command (unrouted, refused) and its audit. Joins an open transaction. */
async function settle(app: App, actor: Actor, id: string, o: Outcome, action: string, requestId: string | undefined, extra: Record<string, unknown> = {}): Promise<void> {
  const nowIso = app.now().toISOString();
  await app.db.transaction(async () => {
    const changed = await setMessageRouting(app.db, id, {
      routeId: null, serviceId: null, serviceCode: null, commandId: null, answeredAt: o.reply ? nowIso : null, ...o,
    });
    if (!changed) return;
    await writeAudit(app, {
      actor, action, target: { type: MESSAGE_TARGET, id }, requestId, result: o.status === "FAILED" ? "FAILURE" : "SUCCESS",
      metadata: { status: o.status, ...(o.errorCode ? { errorCode: o.errorCode } : {}), ...(o.routeId ? { routeId: o.routeId } : {}),
        ...(o.serviceCode ? { serviceCode: o.serviceCode } : {}), ...(o.reply ? { reply: preview(o.reply.text) } : {}), ...extra },
    });
  });
}

/** Sends a RECEIVED message to the service of its first matching route, or answers it now. */
export async function routeMessage(app: App, actor: Actor, m: MessageRow, requestId?: string): Promise<MessageRow> {
  const route = await findRoute(app, { channel: m.channel, type: m.type, text: m.text, senderId: m.senderId, conversationId: m.conversationId });
  if (!route) {
    await settle(app, actor, m.id, { status: "UNROUTED", errorCode: null, reply: polite(app.config.messagesUnroutedReply) }, "message.unrouted", requestId);
    return (await getMessage(app.db, m.id))!;
  }
  const service = await getServiceByCode(app.db, route.targetServiceCode);
  const base = { routeId: route.id, serviceId: service?.id ?? null, serviceCode: route.targetServiceCode };
  if (!service || !acceptsMessageType(service.manifest, m.type)) {
    await settle(app, actor, m.id, {
      ...base, status: "FAILED", errorCode: "MESSAGE_TARGET_UNSUPPORTED", reply: polite("Sorry, the service for this does not take messages."),
    }, "message.refused", requestId, { message: `${route.targetServiceCode} does not declare message support for ${m.type}` });
    return (await getMessage(app.db, m.id))!;
  }
  const agent = service.agentId ? await getAgent(app.db, service.agentId) : undefined;
  if (!agent || !isAgentAvailable(app, agent)) {
    await settle(app, actor, m.id, {
      ...base, status: "FAILED", errorCode: "AGENT_NOT_AVAILABLE", reply: polite("Sorry, the service that answers this is offline; try again later."),
    }, "message.refused", requestId);
    return (await getMessage(app.db, m.id))!;
  }
  const payload = {
    messageId: m.id, channel: m.channel, conversationId: m.conversationId, sender: { id: m.senderId, ...(m.senderName ? { name: m.senderName } : {}) },
    type: m.type, text: m.text, ...(m.attachments ? { attachments: m.attachments } : {}), correlationId: m.correlationId, receivedAt: m.receivedAt,
  };
  await createCommand(app, {
    command: {
      agentId: agent.id, serviceId: service.id, type: "MESSAGE", actionName: MESSAGE_ACTION, payload, secretFields: null,
      createdByUserId: actor.type === "USER" ? actor.id : null, createdByType: actor.type === "USER" ? "USER" : "SYSTEM",
      retryOf: null, sourceEventId: null, timeoutSeconds: null,
    },
    secrets: {}, actor, requestAction: "service.message.requested", requestMetadata: { messageId: m.id, routeId: route.id }, requestId,
    inTransaction: async (c) => {
      const nowIso = app.now().toISOString();
      await setMessageRouting(app.db, m.id, { ...base, status: "ROUTED", commandId: c.id, errorCode: null, reply: null, answeredAt: null });
      await markMessageRouteMatched(app.db, route.id, nowIso);
      await writeAudit(app, {
        actor, action: "message.routed", target: { type: MESSAGE_TARGET, id: m.id }, requestId,
        metadata: { routeId: route.id, routeName: route.name, serviceCode: route.targetServiceCode, commandId: c.id },
      });
    },
  });
  return (await getMessage(app.db, m.id))!;
}
