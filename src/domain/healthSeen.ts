// Unchanged health is not a write. The SDK sends its service's health with every heartbeat; storing
// each one made every heartbeat a write transaction (upsert, service update) although health almost
// never changes. A heartbeat whose health equals the last one this node wrote is coalesced like a
// plain contact, as long as
//   - the stored row is still the one this node wrote (the service's last_health_at, read anyway for
//     the ownership check, equals what this node wrote): another node, a restart or an operator that
//     wrote since makes the next heartbeat a write again, so several nodes never show stale health;
//   - the write is younger than the refresh interval (a third of the stale threshold, at most 60 s):
//     last_health_at keeps moving, so a healthy service never turns STALE.
// A change of status, message or details is written at once. Per-process memory (runtime.healthSeen),
// bounded; losing it costs one write per service.
import { createHash } from "node:crypto";
import type { App } from "../context.js";
import type { HealthInput } from "./serviceReport.js";

/** Services remembered per process; beyond it the oldest entry goes (it costs one write to re-learn). */
export const HEALTH_SEEN_MAX = 100_000;

export interface HealthSeen {
  fingerprint: string;
  /** last_health_at this node wrote (ISO text, exactly as stored) */
  writtenAt: string;
  writtenMs: number;
}

/** Status, message and details in one short digest: details compared without keeping them. */
export function healthFingerprint(h: HealthInput): string {
  const details = h.details === undefined ? "" : JSON.stringify(h.details);
  return createHash("sha1").update(`${h.status}\u0000${h.message ?? "\u0001"}\u0000${details}`).digest("base64url");
}

const refreshMs = (app: App): number => Math.min(60_000, (app.config.healthStaleThresholdSeconds * 1000) / 3);

/** True when this health need not be written: same as the last write of this node, still current in the database, not due for refresh. */
export function healthUnchanged(app: App, serviceId: string, fingerprint: string, storedLastHealthAt: string | null): boolean {
  const seen = app.runtime.healthSeen.get(serviceId);
  return seen !== undefined && seen.fingerprint === fingerprint && seen.writtenAt === storedLastHealthAt &&
    app.now().getTime() - seen.writtenMs < refreshMs(app);
}

/** After the write committed. */
export function rememberHealth(app: App, serviceId: string, fingerprint: string, writtenAt: string): void {
  const seen = app.runtime.healthSeen;
  seen.delete(serviceId); // re-inserted last: Map order is the eviction order
  seen.set(serviceId, { fingerprint, writtenAt, writtenMs: Date.parse(writtenAt) });
  if (seen.size > HEALTH_SEEN_MAX) seen.delete(seen.keys().next().value!);
}
