// The delivery worker, on every node (CAPSTAN_WEBHOOK_DELIVERY_INTERVAL_SECONDS = 0 turns it off on a
// node). Each tick leases endpoints whose oldest pending delivery is due; a lease is one guarded
// UPDATE of the endpoint row (after a FOR UPDATE SKIP LOCKED candidate read on PostgreSQL), so two
// nodes never deliver to one endpoint at once, and one delivery in flight per endpoint keeps order.
// A node that dies mid-delivery leaves its lease to run out; the message is then sent again with the
// same webhook-id (at least once; receivers deduplicate by it).
import type { App } from "../../context.js";
import { recordWebhookAttempt, headWebhookDelivery, type WebhookDeliveryRow } from "../../db/webhookDeliveries.js";
import {
  autoDisableWebhookEndpoint, dueWebhookEndpoints, getWebhookEndpoint, leaseWebhookEndpoint, markEndpointFailed, markEndpointSucceeded,
  releaseWebhookLease, renewWebhookLease, type WebhookEndpointRow,
} from "../../db/webhookEndpoints.js";
import { writeAudit } from "../audit.js";
import { EgressRefused, postPinned, resolveTarget } from "./egress.js";
import { renderAttempt } from "./format.js";
import { openEndpointSecret } from "./secret.js";

/** Seconds to wait before attempt n+1 after attempt n failed (index n); past the end the message has FAILED. */
export const RETRY_SCHEDULE_SECONDS = [0, 5, 300, 1800, 7200, 18000, 36000] as const;
/** An endpoint failing continuously this long is disabled (and the owner told: audit + console). */
export const DISABLE_AFTER_MS = 3 * 86_400_000;
/** Response bytes read per attempt, and how many of them the delivery log keeps. */
export const RESPONSE_READ_BYTES = 4096;
const EXCERPT_CHARS = 1024;
const MAX_LANES = 4;
const PER_LEASE = 20;

const leaseMs = (app: App) => app.config.webhookTimeoutSeconds * 1000 + 30_000;
const later = (app: App, ms: number) => new Date(app.now().getTime() + ms).toISOString();

interface Attempt {
  ok: boolean;
  status: number | null;
  error: string | null;
  excerpt: string | null;
  durationMs: number;
}

async function send(app: App, ep: WebhookEndpointRow, d: WebhookDeliveryRow): Promise<Attempt> {
  const t0 = performance.now();
  const fail = (error: string, status: number | null = null, excerpt: string | null = null): Attempt =>
    ({ ok: false, status, error: error.slice(0, 500), excerpt, durationMs: Math.round(performance.now() - t0) });
  const secret = openEndpointSecret(app, ep);
  if (!secret) return fail("the signing secret cannot be opened with the configured CAPSTAN_SECRET_KEY");
  try {
    const url = new URL(ep.url);
    const target = await resolveTarget(url, { allowPrivate: app.config.webhookAllowPrivate, allowedCidrs: app.config.webhookAllowedCidrs });
    const { body, headers } = renderAttempt(ep.format, d.body, secret, d.messageId, app.now().getTime(), app.version);
    const res = await postPinned(url, target, headers, body, {
      timeoutMs: app.config.webhookTimeoutSeconds * 1000, maxBytes: RESPONSE_READ_BYTES, signal: app.runtime.webhooks.abort.signal,
    });
    const excerpt = res.body.slice(0, EXCERPT_CHARS) || null;
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: null, excerpt, durationMs: Math.round(performance.now() - t0) };
    return fail(res.status >= 300 && res.status < 400 ? `redirect (${res.status}) not followed` : `HTTP ${res.status}`, res.status, excerpt);
  } catch (err) {
    return fail(err instanceof EgressRefused ? `refused: ${err.message}` : err instanceof Error ? err.message : String(err));
  }
}

/** Records one attempt: delivered, retried later, or given up; disables an endpoint failing for too long. Returns whether to go on. */
async function record(app: App, ep: WebhookEndpointRow, d: WebhookDeliveryRow, a: Attempt): Promise<boolean> {
  const now = app.now();
  const nowIso = now.toISOString();
  return app.db.transaction(async () => {
    const n = d.attempts + 1;
    const retryIn = RETRY_SCHEDULE_SECONDS[n];
    const status = a.ok ? "DELIVERED" : retryIn === undefined ? "FAILED" : "PENDING";
    const nextAttemptAt = status === "PENDING" ? new Date(now.getTime() + retryIn! * 1000).toISOString() : nowIso;
    if (!await recordWebhookAttempt(app.db, d.id, {
      status, nextAttemptAt, attemptedAt: nowIso, responseStatus: a.status, durationMs: a.durationMs, error: a.error, responseExcerpt: a.excerpt,
    })) return false;
    if (a.ok) {
      await markEndpointSucceeded(app.db, ep.id, nowIso);
      return true;
    }
    await markEndpointFailed(app.db, ep.id, nowIso);
    const since = ep.failingSince ?? nowIso;
    if (now.getTime() - Date.parse(since) < DISABLE_AFTER_MS) return status === "FAILED"; // FAILED: the next message may go now
    const reason = `disabled after failing continuously since ${since} (last: ${a.error ?? "failed"})`.slice(0, 500);
    if (await autoDisableWebhookEndpoint(app.db, ep.id, reason, nowIso)) {
      await writeAudit(app, {
        actor: { type: "SYSTEM", id: null }, action: "webhook.endpoint.disabled", target: { type: "WebhookEndpoint", id: ep.id },
        result: "FAILURE", message: reason, metadata: { name: ep.name, failingSince: since, lastError: a.error },
      });
      app.log.warn("webhook endpoint disabled after continuous failure", { endpointId: ep.id, failingSince: since });
    }
    return false;
  });
}

/** Delivers an endpoint's due messages in order while this node holds its lease. */
async function runLane(app: App, endpointId: string): Promise<void> {
  const w = app.runtime.webhooks;
  try {
    for (let i = 0; i < PER_LEASE && !w.stopped; i++) {
      const ep = await getWebhookEndpoint(app.db, endpointId);
      const d = ep?.enabled ? await headWebhookDelivery(app.db, endpointId) : undefined;
      if (!ep || !d || d.nextAttemptAt > app.now().toISOString()) return;
      const a = await send(app, ep, d);
      if (w.abort.signal.aborted) return; // shutting down: not counted, the message goes again after the restart
      w.attempts++;
      if (!a.ok) w.failures++;
      if (!a.ok) app.log.info("webhook delivery failed", { endpointId, deliveryId: d.id, attempt: d.attempts + 1, error: a.error });
      if (!await record(app, ep, d, a)) return;
      if (!await renewWebhookLease(app.db, endpointId, app.runtime.nodeId, later(app, leaseMs(app)))) return;
    }
  } catch (err) {
    app.log.error("webhook delivery lane failed", { endpointId, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  } finally {
    await releaseWebhookLease(app.db, endpointId, app.runtime.nodeId).catch(() => undefined);
  }
}

/** One look for due endpoints: leases up to the free lanes and starts delivering to each. */
export async function deliverDue(app: App): Promise<void> {
  const w = app.runtime.webhooks;
  const free = MAX_LANES - w.lanes.size;
  if (free <= 0 || w.stopped) return;
  const nowIso = app.now().toISOString();
  const until = later(app, leaseMs(app));
  // the idle case (nothing due, the usual one) is one plain read: no transaction every interval
  if ((await dueWebhookEndpoints(app.db, nowIso, 1, false)).length === 0) return;
  const leased = await app.db.transaction(async () => {
    const out: string[] = [];
    for (const id of await dueWebhookEndpoints(app.db, nowIso, free, true)) {
      if (!w.lanes.has(id) && await leaseWebhookEndpoint(app.db, id, app.runtime.nodeId, until, nowIso)) out.push(id);
    }
    return out;
  });
  for (const id of leased) w.lanes.set(id, runLane(app, id).finally(() => w.lanes.delete(id)));
}

/** Starts the worker (unless the interval is 0) and registers its stop on the shutdown hooks. */
export function startWebhookWorker(app: App): { stop: () => Promise<void> } {
  const w = app.runtime.webhooks;
  const intervalMs = app.config.webhookDeliveryIntervalSeconds * 1000;
  const tick = () => {
    if (w.stopped) return;
    deliverDue(app)
      .catch((err: unknown) => app.log.warn("webhook delivery check failed; retrying", { error: err instanceof Error ? err.message : String(err) }))
      .finally(() => {
        if (w.stopped) return;
        w.timer = setTimeout(tick, intervalMs);
        w.timer.unref();
      });
  };
  if (intervalMs > 0) tick();
  const stop = async () => {
    w.stopped = true;
    if (w.timer) clearTimeout(w.timer);
    w.abort.abort();
    await Promise.allSettled([...w.lanes.values()]);
  };
  app.runtime.onClose.push(stop);
  return { stop };
}
