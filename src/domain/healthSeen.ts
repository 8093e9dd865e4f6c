// Unchanged health is not a write. The SDK sends its service's health with every heartbeat; storing
// each one made every heartbeat a write transaction (upsert, service update) although health almost
// never changes. Every health write stores a short fingerprint of it on the service row
// (last_health_fingerprint, migration 016); a heartbeat whose health has the stored fingerprint is
// coalesced like a plain contact. Once the stored time is older than the refresh interval (a third of
// the stale threshold, at most 60 s) the heartbeat refreshes it, batched with the contacts
// (contacts.ts), so last_health_at keeps moving and a healthy service never turns STALE; a service
// already past the stale threshold, and any change of status, message or details, is written at once.
// The fingerprint lives on the row, not in each node's memory, so it holds when a load balancer sends
// an agent's heartbeats to different nodes, and across restarts (a restarted node does not rewrite
// the health of its whole fleet). Each node caches what it read of the row (readCache.ts); every health
// write forgets it on all nodes, so the cache never takes a change back for "unchanged".
import { digestOf } from "../ids.js";
import type { App } from "../context.js";
import type { ServiceHealthFacts } from "../db/services.js";
import type { HealthInput } from "./serviceReport.js";

/** Status, message and details in one short digest: details compared without keeping them. */
export function healthFingerprint(h: HealthInput): string {
  const details = h.details === undefined ? "" : JSON.stringify(h.details);
  return digestOf("sha1", `${h.status}\u0000${h.message ?? "\u0001"}\u0000${details}`, "base64url");
}

const refreshMs = (app: App): number => Math.min(60_000, (app.config.healthStaleThresholdSeconds * 1000) / 3);

/** What a heartbeat's health calls for: nothing, a batched refresh of the stored time, or a write. */
export type HealthVerdict = "unchanged" | "refresh" | "write";

export function healthVerdict(app: App, stored: ServiceHealthFacts, fingerprint: string): HealthVerdict {
  if (stored.lastHealthFingerprint !== fingerprint || stored.lastHealthAt === null) return "write";
  const age = app.now().getTime() - Date.parse(stored.lastHealthAt);
  if (age >= 0 && age < refreshMs(app)) return "unchanged";
  return age >= 0 && age < app.config.healthStaleThresholdSeconds * 1000 ? "refresh" : "write";
}
