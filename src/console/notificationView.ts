// The notifications pages as the console shows them: endpoints with their health, the delivery log,
// and the form (values in, API body out: the console posts the same body the API takes).
import type { App } from "../context.js";
import type { WebhookDeliveryWire, WebhookEndpointWire } from "../domain/notifications/endpoints.js";
import { NOTIFICATION_EVENT_TYPES, WEBHOOK_FORMATS } from "../vocabulary.js";
import type { Form } from "./forms.js";
import { badge, when } from "./format.js";

export const endpointHref = (id: string): string => `/notifications/${id}`;

const originOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
};

export function endpointRowView(app: App, e: WebhookEndpointWire) {
  const now = app.now();
  return {
    id: e.id, href: endpointHref(e.id), name: e.name, host: originOf(e.url), format: e.format, events: e.events.join(", "),
    health: badge(e.health), disabledReason: e.disabledReason, failingSince: when(e.failingSince, now),
    lastSuccess: when(e.lastSuccessAt, now), lastFailure: when(e.lastFailureAt, now),
  };
}

export function deliveryRowView(app: App, d: WebhookDeliveryWire) {
  const now = app.now();
  return {
    id: d.id, eventType: d.eventType, messageId: d.messageId, status: badge(d.status), attempts: d.attempts,
    response: d.attempts === 0 ? "" : d.responseStatus === null ? "no response" : `HTTP ${d.responseStatus}`,
    duration: d.durationMs === null ? "" : `${d.durationMs} ms`, error: d.error ?? "", excerpt: (d.responseExcerpt ?? "").slice(0, 200),
    created: when(d.createdAt, now), lastAttempt: when(d.lastAttemptAt, now), nextAttempt: when(d.nextAttemptAt, now),
  };
}

/** The dashboard's failing-endpoint lines: names and since when, never URLs (they may carry credentials). */
export function attentionView(app: App, rows: WebhookEndpointWire[]) {
  return rows.map((e) => {
    const v = endpointRowView(app, e);
    return { name: v.name, href: v.href, health: v.health, reason: e.disabledReason ?? (v.failingSince ? `failing since ${v.failingSince.rel}` : "") };
  });
}

export interface EndpointForm {
  values: { name: string; url: string; format: string; events: string[]; enabled: boolean };
  errors: Record<string, string>;
  message?: string;
}

export const blankEndpointForm = (): EndpointForm => ({ values: { name: "", url: "", format: "standard", events: [], enabled: true }, errors: {} });

export const endpointFormOf = (e: WebhookEndpointWire): EndpointForm =>
  ({ values: { name: e.name, url: e.url, format: e.format, events: e.events, enabled: e.enabled }, errors: {} });

/** Form fields -> form values (checkboxes: events[] repeated, enabled present or not). */
export function endpointValues(form: Form): EndpointForm["values"] {
  const text = (k: string) => (typeof form[k] === "string" ? (form[k] as string).trim() : "");
  const ev = form.events;
  return {
    name: text("name"), url: text("url"), format: text("format") || "standard",
    events: Array.isArray(ev) ? ev : typeof ev === "string" ? [ev] : [], enabled: form.enabled !== undefined,
  };
}

/** Form values -> the API body (CreateWebhookBody / UpdateWebhookBody). */
export const endpointBody = (v: EndpointForm["values"]) => ({ name: v.name, url: v.url, format: v.format, events: v.events, enabled: v.enabled });

export const FORM_CHOICES = { events: NOTIFICATION_EVENT_TYPES, formats: WEBHOOK_FORMATS };
