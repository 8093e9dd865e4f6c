// onMessage as an action: a MESSAGE command runs through the same executor as actions (timeout,
// cancel, stop, one result). The handler's reply becomes the result's data.reply, which Capstan
// hands back to the conversation.
import { CapstanError } from "./errors.js";
import type { ActionDefinition, IncomingMessage, JsonObject, MessageHandler, MessageOptions, MessageReply } from "./types.js";

const DEFAULT_TIMEOUT_SECONDS = 60;

function toMessage(p: JsonObject): IncomingMessage {
  return {
    id: String(p.messageId ?? ""), channel: String(p.channel ?? ""), conversationId: String(p.conversationId ?? ""),
    sender: (p.sender as IncomingMessage["sender"]) ?? { id: "" }, type: (p.type as IncomingMessage["type"]) ?? "QUERY", text: String(p.text ?? ""),
    ...(Array.isArray(p.attachments) ? { attachments: p.attachments as NonNullable<IncomingMessage["attachments"]> } : {}),
    ...(typeof p.correlationId === "string" ? { correlationId: p.correlationId } : {}),
    ...(typeof p.receivedAt === "string" ? { receivedAt: p.receivedAt } : {}),
  };
}

function toReply(value: MessageReply | string): JsonObject {
  const r = typeof value === "string" ? { text: value } : value;
  if (!r || typeof r.text !== "string" || r.text === "") throw new CapstanError("REPLY_INVALID", "the message handler must return {text} or a non-empty string");
  return { text: r.text, format: r.format === "markdown" ? "markdown" : "text", ...(r.data && typeof r.data === "object" ? { data: r.data } : {}) };
}

export function messageAction(handler: MessageHandler, opts: MessageOptions): ActionDefinition {
  return {
    name: "message", label: "message", timeoutSeconds: opts.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    handler: async (payload: JsonObject, ctx) => {
      const reply = await handler(toMessage(payload), { commandId: ctx.commandId, signal: ctx.signal, log: (level, message) => ctx.log(level, message) });
      return { success: true, data: { reply: toReply(reply) } };
    },
  };
}
