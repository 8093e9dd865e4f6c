// View models of the Messages pages: ready strings for the templates (which format nothing).
import type { App } from "../context.js";
import type { MessageWire } from "../domain/messages/queries.js";
import type { MessageRouteWire } from "../domain/messages/routes.js";
import { badge, when } from "./format.js";

const clip = (s: string, n = 140): string => (s.length > n ? `${s.slice(0, n)}…` : s);

export function messageRowView(app: App, m: MessageWire) {
  return {
    id: m.id, channel: m.channel, conversation: m.conversationId, conversationHref: `/messages?conversationId=${encodeURIComponent(m.conversationId)}`,
    sender: m.sender.name ? `${m.sender.name} (${m.sender.id})` : m.sender.id, text: clip(m.text), type: m.type, status: badge(m.status),
    route: m.routeId ?? "", service: m.serviceCode ?? "", reply: m.reply ? clip(m.reply.text) : "", errorCode: m.errorCode ?? "",
    latency: m.latencyMs === null ? "" : m.latencyMs < 1000 ? `${m.latencyMs} ms` : `${(m.latencyMs / 1000).toFixed(1)} s`,
    received: when(m.receivedAt, app.now()), commandHref: m.commandId ? `/commands/${m.commandId}` : null,
    delivered: m.channel === "telegram" ? (m.deliveredAt ? "delivered" : "not yet delivered") : "",
  };
}

/** "channel telegram, /status, text starts with …" — what a route matches, in words. */
export function matchText(m: MessageRouteWire["match"]): string {
  const parts: string[] = [];
  if (m.channel) parts.push(`channel ${m.channel}`);
  if (m.type) parts.push(`type ${m.type}`);
  if (m.commandPrefix) parts.push(`command ${m.commandPrefix}`);
  if (m.textPrefix) parts.push(`starts with "${m.textPrefix}"`);
  if (m.textPattern) parts.push(`pattern /${m.textPattern}/i`);
  if (m.senders?.length) parts.push(`senders ${m.senders.join(", ")}`);
  if (m.conversations?.length) parts.push(`conversations ${m.conversations.join(", ")}`);
  return parts.length ? parts.join("; ") : "every message";
}

export function routeRowView(app: App, r: MessageRouteWire) {
  return {
    id: r.id, name: r.name, priority: r.priority, status: badge(r.status), match: matchText(r.match), service: r.target.serviceCode,
    accepts: r.targetInfo.acceptsMessages ? `takes ${r.targetInfo.supportedTypes.join(", ")}` : r.targetInfo.serviceId ? "does not take messages" : "not reported yet",
    acceptsTone: r.targetInfo.acceptsMessages ? "positive" : "warning",
    lastMatched: when(r.lastMatchedAt, app.now()), toggleTo: r.status === "ENABLED" ? "DISABLED" : "ENABLED",
    toggleLabel: r.status === "ENABLED" ? "Disable" : "Enable",
  };
}

/** The route form's fields (name, label, hint). Lists are comma-separated. */
export const ROUTE_FIELDS: [string, string, string][] = [
  ["name", "Name", ""],
  ["priority", "Priority", "lower first; default 100"],
  ["serviceCode", "Target service code", "the service must declare message support"],
  ["commandPrefix", "Command", "e.g. /status"],
  ["textPrefix", "Text starts with", "plain text, any case"],
  ["textPattern", "Text pattern", "RE2 syntax, case-insensitive, at most 200 characters"],
  ["senders", "Only these senders", "comma-separated ids"],
  ["conversations", "Only these conversations", "comma-separated ids"],
];

const list = (v: string | undefined): string[] | undefined => {
  const items = (v ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
};
const opt = (v: string | undefined): string | undefined => (v && v.trim() ? v.trim() : undefined);

/** Form fields -> the API's create body (validated by the same zod schema). */
export function routeBodyOf(v: Record<string, string>) {
  return {
    name: v.name ?? "", ...(opt(v.priority) ? { priority: opt(v.priority) } : {}), status: v.status || "ENABLED",
    match: {
      ...(opt(v.channel) ? { channel: opt(v.channel) } : {}), ...(opt(v.type) ? { type: opt(v.type) } : {}),
      ...(opt(v.commandPrefix) ? { commandPrefix: opt(v.commandPrefix) } : {}), ...(opt(v.textPrefix) ? { textPrefix: v.textPrefix } : {}),
      ...(opt(v.textPattern) ? { textPattern: v.textPattern } : {}), ...(list(v.senders) ? { senders: list(v.senders) } : {}),
      ...(list(v.conversations) ? { conversations: list(v.conversations) } : {}),
    },
    target: { serviceCode: v.serviceCode ?? "" },
  };
}
