// Reading messages: the wire shape, one message (optionally waiting for its reply), lists and
// conversations for the console. Who may read a message: the user whose token submitted it, and
// operators with admin access.
import type { AdminIdentity, App } from "../../context.js";
import { roleAtLeast } from "../../auth/roles.js";
import { getMessage, listMessages, type MessageFilter, type MessageRow } from "../../db/messages.js";
import { AppError } from "../../errors.js";
import type { Pagination } from "../../http/reply.js";
import { redact } from "../redact.js";

/** How long the reply took, once there is one (ms). */
export const latencyMs = (m: MessageRow): number | null => (m.answeredAt ? Date.parse(m.answeredAt) - Date.parse(m.receivedAt) : null);

export function messageToWire(m: MessageRow) {
  return {
    id: m.id, channel: m.channel, conversationId: m.conversationId, sender: { id: m.senderId, ...(m.senderName ? { name: m.senderName } : {}) },
    type: m.type, text: m.text, ...(m.attachments ? { attachments: redact(m.attachments) } : {}), receivedAt: m.receivedAt,
    correlationId: m.correlationId, status: m.status, routeId: m.routeId, serviceId: m.serviceId, serviceCode: m.serviceCode,
    commandId: m.commandId, errorCode: m.errorCode,
    ...(m.reply ? { reply: { messageId: m.id, text: m.reply.text, format: m.reply.format, ...(m.reply.data ? { data: m.reply.data } : {}) } } : {}),
    answeredAt: m.answeredAt, latencyMs: latencyMs(m), deliveredAt: m.deliveredAt,
  };
}
export type MessageWire = ReturnType<typeof messageToWire>;

const mayRead = (who: AdminIdentity, m: MessageRow): boolean =>
  m.submittedByUserId === who.userId || (roleAtLeast(who.role, "operator") && (who.via === "session" || (who.scopes ?? []).includes("admin")));

const waiting = (m: MessageRow): boolean => (m.status === "RECEIVED" || m.status === "ROUTED") && m.commandId !== null;

/** The message; with waitSeconds > 0, holds until it is answered (or failed) or the wait is over. */
export async function readMessage(app: App, who: AdminIdentity, id: string, waitSeconds = 0, signal?: AbortSignal): Promise<MessageWire> {
  let m = await getMessage(app.db, id);
  if (!m || !mayRead(who, m)) throw new AppError("MESSAGE_NOT_FOUND", "no such message");
  const deadline = Date.now() + waitSeconds * 1000;
  while (waiting(m) && Date.now() < deadline && !signal?.aborted) {
    const since = app.runtime.hub.commandNotifications;
    m = (await getMessage(app.db, id))!; // read after `since`: a reply landing now is not missed
    if (!waiting(m)) break;
    const woken = await app.runtime.hub.waitForCommand(m.commandId!, deadline - Date.now(), signal, since);
    m = (await getMessage(app.db, id))!;
    if (!woken) break;
  }
  return messageToWire(m);
}

export async function listMessagesPage(app: App, f: MessageFilter, page: number, pageSize: number): Promise<{ rows: MessageWire[]; pagination: Pagination }> {
  const { rows, total } = await listMessages(app.db, f, page, pageSize);
  return { rows: rows.map(messageToWire), pagination: { page, pageSize, total } };
}
