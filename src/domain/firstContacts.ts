// First contacts written together. An agent's first contact with a node is a write transaction
// (PENDING/OFFLINE -> ONLINE, its sampled heartbeat audit): when a whole fleet connects at once (a
// deploy, a restart of Capstan, 10,000 agents in a few seconds), one transaction per agent made the
// commit (on SQLite the WAL append and the FTS5 segment of each audit row; on PostgreSQL BEGIN/COMMIT
// round trips) most of a node's CPU, requests queued in the kernel's full accept queue, and agents
// saw their polls answered after their own timeout (bench/agents-held.mjs, bench/pg-vs-sqlite.mjs hold).
// The contacts that arrive in one event-loop turn are written in one transaction, each agent's change
// and its audit event together as before; a batch that fails is written again one agent at a time,
// so one agent's failure is its own.
import type { App } from "../context.js";
import { recordFirstContacts as writeFirstContacts } from "../db/agents.js";
import { writeAudits, type AuditInput } from "./audit.js";

/** agent.heartbeat.received is sampled: at most one per agent in this window. */
export const HEARTBEAT_AUDIT_WINDOW_MS = 5 * 60_000;

export interface FirstContact {
  agentId: string;
  now: Date;
  resolve(found: boolean): void;
  reject(err: unknown): void;
}

/**
 * Most contacts one transaction writes: on SQLite a transaction's statements run back to back on the
 * event loop (~0.3 ms a contact), so a batch this size holds other requests for ~20 ms at most.
 */
const MAX_BATCH = 64;

/**
 * First contacts with this node, inside the caller's transaction: ONLINE, each window's audit sample,
 * set-wise (db/agents.ts recordFirstContacts). found[i]: contact i's agent exists.
 */
export async function recordFirstContacts(app: App, contacts: readonly { agentId: string; now: Date }[]): Promise<boolean[]> {
  const written = await writeFirstContacts(app.db, contacts.map((c) => ({
    id: c.agentId, nowIso: c.now.toISOString(), windowStartIso: new Date(c.now.getTime() - HEARTBEAT_AUDIT_WINDOW_MS).toISOString(),
  })));
  const audited = new Set<string>();
  const lines: AuditInput[] = [];
  for (const c of contacts) {
    const before = written.before.get(c.agentId);
    // an agent listed twice (its heartbeat and its poll) gets its lines once, with the first contact
    if (!before || audited.has(c.agentId)) continue;
    audited.add(c.agentId);
    const wentOnline = written.wentOnline.has(c.agentId);
    // Coming back from OFFLINE is a transition worth its own line (and a notification), sampled or not.
    if (wentOnline && before.status === "OFFLINE") {
      lines.push({
        actor: { type: "AGENT", id: c.agentId }, action: "agent.online", target: { type: "Agent", id: c.agentId },
        metadata: { code: before.code, previousStatus: before.status, status: "ONLINE", lastHeartbeatAt: before.lastHeartbeatAt },
      });
    }
    // One sample per window keeps the trail small; a transition shows in the sample's metadata when they coincide.
    if (!written.claimed.has(c.agentId)) continue;
    lines.push({
      actor: { type: "AGENT", id: c.agentId }, action: "agent.heartbeat.received", target: { type: "Agent", id: c.agentId },
      metadata: wentOnline ? { previousStatus: before.status, status: "ONLINE" } : { status: before.status },
    });
  }
  await writeAudits(app, lines);
  return contacts.map((c) => written.before.has(c.agentId));
}

/** Queues one first contact for the next batch; resolves once it is committed (false: no such agent). */
export function writeInBatch(app: App, agentId: string, now: Date): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const rt = app.runtime.firstContacts;
    rt.queue.push({ agentId, now, resolve, reject });
    // A lane starts after this turn's other contacts are queued; a lane that finds them taken ends at once.
    if (rt.lanes < lanesFor(app)) {
      rt.lanes++;
      setImmediate(() => void lane(app));
    }
  });
}

/**
 * Batches written at once. SQLite serialises transactions, so one. On PostgreSQL a batch's time is
 * mostly round trips (five statements a contact), each waiting for this node's busy event loop while
 * a fleet connects: one batch at a time wrote ~40 contacts a second per node and 10,000 agents never
 * all connected (bench/pg-vs-sqlite.mjs hold). Batches in agent-id order never deadlock each other.
 */
const lanesFor = (app: App): number => (app.db.kind === "postgres" ? 4 : 1);

/** Writes batches until the queue is empty. */
async function lane(app: App): Promise<void> {
  const rt = app.runtime.firstContacts;
  try {
    while (rt.queue.length) {
      // agent id order: two batches (of this node's lanes or of two nodes) lock agent rows in one order (PostgreSQL), so they never deadlock
      const batch = rt.queue.splice(0, MAX_BATCH).sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
      let found: boolean[] | undefined;
      try {
        found = await app.db.transaction(() => recordFirstContacts(app, batch));
      } catch {
        // whatever failed, each contact on its own: the others still commit, and each caller gets its own error
        for (const c of batch) await app.db.transaction(() => recordFirstContacts(app, [c])).then((f) => c.resolve(f[0]!), c.reject);
        continue;
      }
      batch.forEach((c, i) => c.resolve(found[i]!));
    }
  } finally {
    rt.lanes--;
  }
}
