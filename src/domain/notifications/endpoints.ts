// Notification endpoints: create (secret generated, sealed, returned once), change, delete, send a
// test, redeliver, each with its audit event. URLs may carry a credential (Slack's do), so the
// audit trail records the origin only, and the routes are owner-only.
import type { Actor, App } from "../../context.js";
import {
  getWebhookDelivery, pendingWebhookDeliveries, recentWebhookDeliveries, resumeWebhookDeliveries, type WebhookDeliveryRow,
} from "../../db/webhookDeliveries.js";
import {
  deleteWebhookEndpoint, getWebhookEndpoint, insertWebhookEndpoint, listWebhookEndpoints, updateWebhookEndpoint, webhookEndpointsNeedingAttention,
  type WebhookEndpointRow,
} from "../../db/webhookEndpoints.js";
import { AppError } from "../../errors.js";
import { newId } from "../../ids.js";
import type { CreateWebhookInput, UpdateWebhookInput } from "../../schemas/webhooks.js";
import { writeAudit } from "../audit.js";
import { EgressRefused, resolveTarget } from "./egress.js";
import { newWebhookSecret } from "./format.js";
import { enqueueAgain, enqueueTest } from "./outbox.js";
import { sealEndpointSecret } from "./secret.js";

export const ENDPOINT_TARGET = "WebhookEndpoint";

export type EndpointHealth = "HEALTHY" | "FAILING" | "DISABLED";
const healthOf = (e: WebhookEndpointRow): EndpointHealth => (!e.enabled ? "DISABLED" : e.failingSince ? "FAILING" : "HEALTHY");

export function endpointToWire(e: WebhookEndpointRow) {
  return {
    id: e.id, name: e.name, url: e.url, format: e.format, events: e.events, enabled: e.enabled, health: healthOf(e),
    disabledReason: e.disabledReason, failingSince: e.failingSince, lastSuccessAt: e.lastSuccessAt, lastFailureAt: e.lastFailureAt,
    createdAt: e.createdAt, updatedAt: e.updatedAt,
  };
}
export type WebhookEndpointWire = ReturnType<typeof endpointToWire>;

export function deliveryToWire(d: WebhookDeliveryRow) {
  return {
    id: d.id, endpointId: d.endpointId, messageId: d.messageId, eventType: d.eventType, status: d.status, attempts: d.attempts,
    nextAttemptAt: d.status === "PENDING" ? d.nextAttemptAt : null, createdAt: d.createdAt, lastAttemptAt: d.lastAttemptAt,
    responseStatus: d.responseStatus, durationMs: d.durationMs, error: d.error, responseExcerpt: d.responseExcerpt,
  };
}
export type WebhookDeliveryWire = ReturnType<typeof deliveryToWire>;

const originOf = (url: string): string => new URL(url).origin;

/** Refuses a URL whose target the egress policy forbids now (422); a name that does not resolve yet is accepted (the log will say). */
async function checkUrl(app: App, url: string): Promise<void> {
  try {
    await resolveTarget(new URL(url), { allowPrivate: app.config.webhookAllowPrivate, allowedCidrs: app.config.webhookAllowedCidrs });
  } catch (err) {
    if (err instanceof EgressRefused && err.kind === "policy") throw new AppError("WEBHOOK_URL_FORBIDDEN", `webhook target refused: ${err.message}`, { field: "url" });
    if (!(err instanceof EgressRefused)) throw err;
  }
}

export async function requireWebhookEndpoint(app: App, id: string): Promise<WebhookEndpointRow> {
  const e = await getWebhookEndpoint(app.db, id);
  if (!e) throw new AppError("WEBHOOK_ENDPOINT_NOT_FOUND", "no such webhook endpoint");
  return e;
}

export const listWebhookEndpointsWire = async (app: App): Promise<WebhookEndpointWire[]> => (await listWebhookEndpoints(app.db)).map(endpointToWire);

/** Failing or system-disabled endpoints, for the dashboard's "needs attention". */
export const endpointsNeedingAttention = async (app: App, limit = 10): Promise<WebhookEndpointWire[]> =>
  (await webhookEndpointsNeedingAttention(app.db, limit)).map(endpointToWire);

/** Creates an endpoint; the signing secret is in the answer and nowhere else in plaintext. */
export async function createWebhookEndpoint(app: App, actor: Actor, input: CreateWebhookInput, requestId?: string): Promise<{ endpoint: WebhookEndpointWire; secret: string }> {
  await checkUrl(app, input.url); // DNS outside the transaction
  const nowIso = app.now().toISOString();
  const id = newId("whe");
  const secret = newWebhookSecret();
  const row: WebhookEndpointRow = {
    id, name: input.name, url: input.url, format: input.format, events: input.events, enabled: input.enabled,
    secretSealed: sealEndpointSecret(app, id, secret), disabledReason: null, failingSince: null, lastSuccessAt: null, lastFailureAt: null,
    createdBy: actor.id, createdAt: nowIso, updatedAt: nowIso,
  };
  await app.db.transaction(async () => {
    await insertWebhookEndpoint(app.db, row);
    await writeAudit(app, {
      actor, action: "webhook.endpoint.created", target: { type: ENDPOINT_TARGET, id }, requestId,
      metadata: { name: row.name, origin: originOf(row.url), format: row.format, events: row.events, enabled: row.enabled },
    });
  });
  return { endpoint: endpointToWire(row), secret };
}

export async function changeWebhookEndpoint(app: App, actor: Actor, id: string, patch: UpdateWebhookInput, requestId?: string): Promise<WebhookEndpointWire> {
  if (patch.url !== undefined) await checkUrl(app, patch.url);
  return app.db.transaction(async () => {
    const before = await requireWebhookEndpoint(app, id);
    const enabling = patch.enabled === true && !before.enabled;
    const next: WebhookEndpointRow = {
      ...before, name: patch.name ?? before.name, url: patch.url ?? before.url, format: patch.format ?? before.format,
      events: patch.events ?? before.events, enabled: patch.enabled ?? before.enabled, updatedAt: app.now().toISOString(),
      // an owner enabling it again starts a fresh failure clock, and its queue goes now
      ...(enabling ? { disabledReason: null, failingSince: null } : {}),
    };
    await updateWebhookEndpoint(app.db, next);
    if (enabling) await resumeWebhookDeliveries(app.db, id, next.updatedAt); // a backoff from before does not hold it back
    const changed = Object.keys(patch).filter((k) => k !== "url" || patch.url !== before.url);
    await writeAudit(app, {
      actor, action: "webhook.endpoint.updated", target: { type: ENDPOINT_TARGET, id }, requestId,
      metadata: { name: next.name, origin: originOf(next.url), changed, enabled: next.enabled },
    });
    return endpointToWire(next);
  });
}

export async function removeWebhookEndpoint(app: App, actor: Actor, id: string, requestId?: string): Promise<void> {
  await app.db.transaction(async () => {
    const e = await requireWebhookEndpoint(app, id);
    const pending = await pendingWebhookDeliveries(app.db, id);
    await deleteWebhookEndpoint(app.db, id);
    await writeAudit(app, {
      actor, action: "webhook.endpoint.deleted", target: { type: ENDPOINT_TARGET, id }, requestId,
      metadata: { name: e.name, origin: originOf(e.url), pendingDropped: pending },
    });
  });
}

/** Queues a webhook.test message for the endpoint (delivered by the worker like any other). */
export async function sendTestNotification(app: App, actor: Actor, id: string, requestId?: string): Promise<WebhookDeliveryWire> {
  const deliveryId = await app.db.transaction(async () => {
    // a disabled endpoint's queue does not move: a test would only wait there
    if (!(await requireWebhookEndpoint(app, id)).enabled) throw new AppError("CONFLICT", "the endpoint is disabled; enable it to send a test");
    const dId = await enqueueTest(app, id, actor.id);
    await writeAudit(app, { actor, action: "webhook.endpoint.tested", target: { type: ENDPOINT_TARGET, id }, requestId, metadata: { deliveryId: dId } });
    return dId;
  });
  return deliveryToWire((await getWebhookDelivery(app.db, deliveryId))!);
}

export async function listDeliveries(app: App, endpointId: string, limit: number): Promise<WebhookDeliveryWire[]> {
  await requireWebhookEndpoint(app, endpointId);
  return (await recentWebhookDeliveries(app.db, endpointId, limit)).map(deliveryToWire);
}

/** Queues a delivery's message again (same webhook-id and body) at the end of its endpoint's queue. */
export async function redeliver(app: App, actor: Actor, deliveryId: string, requestId?: string): Promise<WebhookDeliveryWire> {
  const newIdOf = await app.db.transaction(async () => {
    const d = await getWebhookDelivery(app.db, deliveryId);
    if (!d) throw new AppError("WEBHOOK_DELIVERY_NOT_FOUND", "no such webhook delivery");
    const id = await enqueueAgain(app, d);
    await writeAudit(app, {
      actor, action: "webhook.delivery.redelivered", target: { type: ENDPOINT_TARGET, id: d.endpointId }, requestId,
      metadata: { deliveryId: d.id, newDeliveryId: id, messageId: d.messageId, eventType: d.eventType },
    });
    return id;
  });
  return deliveryToWire((await getWebhookDelivery(app.db, newIdOf))!);
}
