// A MESSAGE command ended: its message gets the reply (or a polite failure) in the same transaction as
// the command's terminal transition. Called from the command lifecycle (result, expiry, cancel).
import type { App } from "../../context.js";
import type { CommandRow, CommandStatus } from "../../db/commands.js";
import { finishMessage, getMessage, type MessageReply } from "../../db/messages.js";
import { REPLY_FORMATS, type MessageStatus, type ReplyFormat } from "../../vocabulary.js";
import { writeAudit } from "../audit.js";
import { redact } from "../redact.js";

/** Longest reply kept: Telegram sends it as up to 8 messages of 4,096 characters. */
export const REPLY_TEXT_MAX = 32_768;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The reply in a result's data (`{reply: {text, format?, data?}}`, what the SDKs send), or null when there is none. */
export function replyFrom(data: unknown): MessageReply | null {
  const r = isObj(data) ? data.reply : undefined;
  if (!isObj(r) || typeof r.text !== "string" || r.text.length === 0) return null;
  const text = r.text.length > REPLY_TEXT_MAX ? `${r.text.slice(0, REPLY_TEXT_MAX - 1)}…` : r.text;
  const format: ReplyFormat = REPLY_FORMATS.includes(r.format as ReplyFormat) ? (r.format as ReplyFormat) : "text";
  return { text, format, ...(isObj(r.data) ? { data: redact(r.data) } : {}) };
}

export interface CommandEnd {
  status: CommandStatus;
  data?: unknown;
  errorCode?: string | null | undefined;
}

/** Call inside the transaction that ends command `c`; a no-op for other command types. */
export async function messageCommandEnded(app: App, c: CommandRow, end: CommandEnd): Promise<void> {
  if (c.type !== "MESSAGE" || typeof c.payload.messageId !== "string") return;
  const m = await getMessage(app.db, c.payload.messageId);
  if (!m || m.status !== "ROUTED") return;
  let status: MessageStatus;
  let reply: MessageReply | null = null;
  let errorCode: string | null = null;
  if (end.status === "SUCCEEDED") {
    reply = replyFrom(end.data);
    status = reply ? "ANSWERED" : "FAILED";
    if (!reply) errorCode = "REPLY_MISSING";
  } else {
    status = end.status === "EXPIRED" ? "EXPIRED" : "FAILED";
    errorCode = end.errorCode ?? (end.status === "CANCELLED" ? "CANCELLED" : "ACTION_FAILED");
  }
  reply ??= { text: status === "EXPIRED" ? "Sorry, the service did not answer in time." : "Sorry, the service could not answer that.", format: "text" };
  const nowIso = app.now().toISOString();
  if (!await finishMessage(app.db, m.id, status, errorCode, reply, nowIso)) return;
  await writeAudit(app, {
    actor: { type: "SYSTEM", id: null }, action: status === "ANSWERED" ? "message.answered" : "message.failed",
    target: { type: "ConversationMessage", id: m.id }, result: status === "ANSWERED" ? "SUCCESS" : "FAILURE",
    metadata: {
      commandId: c.id, serviceCode: m.serviceCode, status, ...(errorCode ? { errorCode } : {}),
      reply: reply.text.length > 200 ? `${reply.text.slice(0, 200)}…` : reply.text, replyLength: reply.text.length,
      latencyMs: Date.parse(nowIso) - Date.parse(m.receivedAt),
    },
  });
}
