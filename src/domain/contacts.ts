// Coalesced contact writes. A heartbeat from an agent that is already ONLINE, with its audit sample
// not yet due, changes nothing but last_heartbeat_at; committing that alone cost ~45 % of a
// heartbeat's CPU (bench/heartbeat-ingest.mjs). Such contacts are kept in memory and written in one
// batch at most a second later. So are the periodic refreshes of an unchanged health (healthSeen.ts):
// they only move the service's last_health_at and its report's time. Transitions (PENDING/OFFLINE ->
// ONLINE), audit samples and health changes are still written at once. Every admin or console
// request, the maintenance sweep and shutdown flush first, so nothing a reader sees depends on the
// buffer; a crash loses at most a second of contact and refresh times, far inside the offline and
// stale thresholds.
import type { App } from "../context.js";
import { writeContacts } from "../db/agents.js";
import { refreshHealthReports } from "../db/serviceParts.js";
import { refreshServiceHealth } from "../db/services.js";

const FLUSH_AFTER_MS = 1000;

function scheduleFlush(app: App): void {
  const rt = app.runtime;
  if (!rt.contactTimer) {
    rt.contactTimer = setTimeout(() => void flushContacts(app), FLUSH_AFTER_MS); // flushContacts logs its own failures
    rt.contactTimer.unref();
  }
}

export function bufferContact(app: App, agentId: string, nowIso: string): void {
  app.runtime.contacts.set(agentId, nowIso);
  scheduleFlush(app);
}

/** An unchanged health whose refresh is due: its time moves with the next flush (applied only while the fingerprint still matches). */
export function bufferHealthRefresh(app: App, serviceId: string, fingerprint: string, nowIso: string): void {
  app.runtime.healthRefreshes.set(serviceId, [nowIso, fingerprint]);
  scheduleFlush(app);
}

/** A newer contact was written directly: the buffered one is obsolete. */
export const dropBufferedContact = (app: App, agentId: string): void => {
  app.runtime.contacts.delete(agentId);
};

/**
 * Writes what is buffered; resolves once everything buffered before the call is written. One flush
 * runs at a time, and callers arriving meanwhile share the next one. On PostgreSQL a flush can wait
 * on agent rows that first-contact transactions hold; with a new flush every second beside it, each
 * holding a pooled connection and waiting on the one before (they share agents), a connecting fleet
 * ran the pool dry and agents got 503s (bench/pg-vs-sqlite.mjs hold).
 */
export function flushContacts(app: App): Promise<void> {
  const f = app.runtime.contactFlush;
  if (f.queued) return f.queued;
  if (!f.running) return startFlush(app);
  const queued = f.running.then(() => {
    f.queued = undefined;
    return startFlush(app);
  });
  f.queued = queued;
  return queued;
}

function startFlush(app: App): Promise<void> {
  const f = app.runtime.contactFlush;
  const running = writeBuffered(app).finally(() => {
    if (f.running === running) f.running = undefined;
  });
  f.running = running;
  return running;
}

/** One flush: never rejects (what could not be written stays buffered, or is refreshed again later). */
async function writeBuffered(app: App): Promise<void> {
  const rt = app.runtime;
  if (rt.contactTimer) {
    clearTimeout(rt.contactTimer);
    rt.contactTimer = undefined;
  }
  if (rt.contacts.size > 0) {
    const batch = [...rt.contacts];
    rt.contacts.clear();
    try {
      await writeContacts(app.db, batch);
    } catch (err) {
      // keep what could not be written for the next flush rather than losing it (e.g. SQLITE_BUSY)
      for (const [id, iso] of batch) if (!rt.contacts.has(id)) rt.contacts.set(id, iso);
      app.log.warn("could not write agent contacts", { error: err instanceof Error ? err.message : String(err), pending: batch.length });
    }
  }
  if (rt.healthRefreshes.size > 0) {
    const rows = [...rt.healthRefreshes].map(([id, [at, fingerprint]]): [string, string, string] => [id, at, fingerprint]);
    rt.healthRefreshes.clear();
    const seen = rt.serviceHealth.generation;
    try {
      await refreshHealthReports(app.db, rows);
      const written = await refreshServiceHealth(app.db, rows);
      // The cache takes what was written: its old time would make every heartbeat a refresh. Forgetting it
      // instead made the next heartbeat of each refreshed service a read, ~170 a second at 10,000 agents on
      // PostgreSQL and 10,000 within seconds when a fleet's refreshes fell due together (bench/pg-vs-sqlite.mjs
      // hold). Kept unless the service changed meanwhile (readCache.ts); one the refresh skipped is read again.
      const nowMs = app.now().getTime();
      for (const [id] of rows) {
        const facts = written.get(id);
        if (facts) rt.serviceHealth.set(id, id, facts, nowMs, seen);
        else rt.serviceHealth.forget(id);
      }
    } catch (err) {
      // a lost refresh only makes the next heartbeat's refresh due again
      app.log.warn("could not write health refreshes", { error: err instanceof Error ? err.message : String(err), pending: rows.length });
    }
  }
}
