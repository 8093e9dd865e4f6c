// The durable outbox: what each endpoint must receive, written in the transaction of the change.
// writeAudit (src/domain/audit.ts) calls enqueueFromAudit for every audit event, so the events are
// derived in one place and commit (or roll back) with the change they report. Delivery is the
// worker's (worker.ts), never the request's: a slow or dead receiver cannot slow the request.
import type { App } from "../../context.js";
import type { AuditRow } from "../../db/audit.js";
import { insertWebhookDelivery } from "../../db/webhookDeliveries.js";
import { enabledWebhookEndpoints } from "../../db/webhookEndpoints.js";
import { newId } from "../../ids.js";
import { eventsFromAudit, isNotifiableAction, type NotificationEvent } from "./events.js";

/** The stored envelope: the Standard Webhooks body {type, timestamp, data}, summary inside data. */
export const envelopeOf = (e: NotificationEvent): string => JSON.stringify({ type: e.type, timestamp: e.timestamp, data: { summary: e.summary, ...e.data } });

/** Inside the audit event's transaction: one outbox row per enabled endpoint subscribed to each event it stands for. */
export async function enqueueFromAudit(app: Pick<App, "db" | "now">, audit: AuditRow): Promise<number> {
  // the common case (most audit actions notify nobody) costs no query
  if (!isNotifiableAction(audit.action)) return 0;
  const events = eventsFromAudit(audit);
  if (events.length === 0) return 0;
  const endpoints = await enabledWebhookEndpoints(app.db);
  const nowIso = app.now().toISOString();
  let n = 0;
  for (const e of events) {
    const messageId = newId("msg");
    const body = envelopeOf(e);
    for (const ep of endpoints) {
      if (!ep.events.includes(e.type)) continue;
      await insertWebhookDelivery(app.db, { id: newId("whd"), endpointId: ep.id, messageId, eventType: e.type, body, nowIso });
      n++;
    }
  }
  return n;
}

/** A webhook.test message for one endpoint, queued behind what it already has (order holds). Returns the delivery id. */
export async function enqueueTest(app: Pick<App, "db" | "now">, endpointId: string, requestedBy: string | null): Promise<string> {
  const now = app.now().toISOString();
  const id = newId("whd");
  const event: NotificationEvent = {
    type: "webhook.test", timestamp: now, summary: "Test notification from Capstan", data: { endpointId, requestedBy },
  };
  await insertWebhookDelivery(app.db, { id, endpointId, messageId: newId("msg"), eventType: event.type, body: envelopeOf(event), nowIso: now });
  return id;
}

/** Queues a message again (same webhook-id and body, so receivers can deduplicate); returns the new delivery id. */
export async function enqueueAgain(app: Pick<App, "db" | "now">, d: { endpointId: string; messageId: string; eventType: string; body: string }): Promise<string> {
  const id = newId("whd");
  await insertWebhookDelivery(app.db, { ...d, id, nowIso: app.now().toISOString() });
  return id;
}
