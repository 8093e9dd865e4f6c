// Unchanged health is not a write. The SDK sends its service's health with every heartbeat; storing
// each one made every heartbeat a write transaction (upsert, service update) although health almost
// never changes. Every health write stores a short fingerprint of it on the service row
// (last_health_fingerprint, migration 016); a heartbeat whose health has the stored fingerprint is
// coalesced like a plain contact, as long as the stored write is younger than the refresh interval (a
// third of the stale threshold, at most 60 s), so last_health_at keeps moving and a healthy service
// never turns STALE. A change of status, message or details is written at once.
// The fingerprint lives on the row, not in each node's memory, so it holds when a load balancer sends
// an agent's heartbeats to different nodes, and across restarts (a restarted node does not rewrite
// the health of its whole fleet).
import { createHash } from "node:crypto";
import type { App } from "../context.js";
import type { ServiceHealthFacts } from "../db/services.js";
import type { HealthInput } from "./serviceReport.js";

/** Status, message and details in one short digest: details compared without keeping them. */
export function healthFingerprint(h: HealthInput): string {
  const details = h.details === undefined ? "" : JSON.stringify(h.details);
  return createHash("sha1").update(`${h.status}\u0000${h.message ?? "\u0001"}\u0000${details}`).digest("base64url");
}

const refreshMs = (app: App): number => Math.min(60_000, (app.config.healthStaleThresholdSeconds * 1000) / 3);

/** True when this health need not be written: the stored one has the same fingerprint and is not due for refresh. */
export function healthUnchanged(app: App, stored: ServiceHealthFacts, fingerprint: string): boolean {
  if (stored.lastHealthFingerprint !== fingerprint || stored.lastHealthAt === null) return false;
  const age = app.now().getTime() - Date.parse(stored.lastHealthAt);
  return age >= 0 && age < refreshMs(app);
}
