// Coalesced contact writes. A heartbeat from an agent that is already ONLINE, with its audit sample
// not yet due, changes nothing but last_heartbeat_at; committing that alone cost ~45 % of a
// heartbeat's CPU (bench/heartbeat-ingest.mjs). Such contacts are kept in memory and written in one
// transaction at most a second later. Transitions (PENDING/OFFLINE -> ONLINE) and audit samples are
// still written at once. Every admin or console request, the maintenance sweep and shutdown flush
// first, so nothing a reader sees depends on the buffer; a crash loses at most a second of
// last-contact times, far inside the offline threshold.
import type { App } from "../context.js";
import { writeContacts } from "../db/agents.js";

const FLUSH_AFTER_MS = 1000;

export function bufferContact(app: App, agentId: string, nowIso: string): void {
  const rt = app.runtime;
  rt.contacts.set(agentId, nowIso);
  if (!rt.contactTimer) {
    rt.contactTimer = setTimeout(() => void flushContacts(app), FLUSH_AFTER_MS); // flushContacts logs its own failures
    rt.contactTimer.unref();
  }
}

/** A newer contact was written directly: the buffered one is obsolete. */
export const dropBufferedContact = (app: App, agentId: string): void => {
  app.runtime.contacts.delete(agentId);
};

export async function flushContacts(app: App): Promise<void> {
  const rt = app.runtime;
  if (rt.contactTimer) {
    clearTimeout(rt.contactTimer);
    rt.contactTimer = undefined;
  }
  if (rt.contacts.size === 0) return;
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
