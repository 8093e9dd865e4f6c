// Agents: contact (heartbeat, poll), operator transitions, reads and the admin wire shape.
import type { Actor, App } from "../context.js";
import { revokeAgentTokens } from "../db/agentTokens.js";
import {
  getAgent, lastHeartbeatSampleAt, listAgents, listAgentsPastCutoff, markAgentOffline, setAgentStatus,
  type AgentFilter, type AgentRow, type AgentStatus,
} from "../db/agents.js";
import { countServicesPerAgent, getService, getServiceHealthFacts, listServicesOfAgent, type ServiceRow } from "../db/services.js";
import type { SortKey } from "../db/query.js";
import { AppError } from "../errors.js";
import { readThrough } from "../readCache.js";
import type { Pagination } from "../http/reply.js";
import { writeAudit } from "./audit.js";
import { bufferContact, bufferHealthRefresh, dropBufferedContact } from "./contacts.js";
import { HEARTBEAT_AUDIT_WINDOW_MS, recordFirstContacts, writeInBatch } from "./firstContacts.js";
import { healthFingerprint, healthVerdict } from "./healthSeen.js";
import { recordHealth, type HealthInput } from "./serviceReport.js";
import { servicesOfAgent } from "./services.js";
import { cutoffs, effectiveAgentStatus } from "./status.js";
import { announceAgentChanged } from "./wakeups.js";

export function agentToWire(app: App, a: AgentRow) {
  const eff = effectiveAgentStatus(app, a);
  return {
    id: a.id, code: a.code, name: a.name, mode: a.mode, runtime: a.runtime, status: eff.status,
    lastHeartbeatAt: a.lastHeartbeatAt, createdAt: a.createdAt, updatedAt: a.updatedAt,
    version: a.version, hostname: a.hostname, os: a.os, arch: a.arch, lastSeenAt: a.lastHeartbeatAt,
    registeredAt: a.registeredAt, storedStatus: a.status, statusReason: eff.reason,
  };
}
export type AgentWire = ReturnType<typeof agentToWire>;

/**
 * Records contact from the agent (heartbeat or poll): lastHeartbeatAt, PENDING/OFFLINE -> ONLINE, sampled audit.
 * `seenStatus` is the stored status this request's token lookup just read (AgentIdentity): passing it
 * saves reading the agent row again on the steady path, a round trip per contact on PostgreSQL.
 */
export async function touchAgent(app: App, agentId: string, seenStatus?: string, inTransaction = false): Promise<void> {
  const now = app.now();
  const nowIso = now.toISOString();
  let lastSample = app.runtime.heartbeatSamples.get(agentId);
  if (lastSample === undefined && seenStatus === "ONLINE") {
    // First contact of an ONLINE agent with this node (a restart, or its sample written by another
    // node): learn when the window's sample was written, one read instead of a write transaction per
    // agent (a restarted node's whole fleet reconnects at once).
    const at = await lastHeartbeatSampleAt(app.db, agentId);
    if (at !== null) app.runtime.heartbeatSamples.set(agentId, lastSample = Date.parse(at));
  }
  // The steady state: already ONLINE and no audit sample due, so only the timestamp moves (coalesced).
  if (lastSample !== undefined && now.getTime() - lastSample < HEARTBEAT_AUDIT_WINDOW_MS &&
    (seenStatus ?? (await getAgent(app.db, agentId))?.status) === "ONLINE") {
    bufferContact(app, agentId, nowIso);
    return;
  }
  // Inside the caller's transaction (a health write) the contact joins it; otherwise it is written
  // with the other first contacts of this event-loop turn (firstContacts.ts).
  const found = inTransaction
    ? (await app.db.transaction(() => recordFirstContacts(app, [{ agentId, now }])))[0]!
    : await writeInBatch(app, agentId, now);
  // Process memory changes only once the transaction committed (a rolled-back or retried one leaves none).
  if (!found) return;
  dropBufferedContact(app, agentId);
  // The token lookup's cached status may be PENDING/OFFLINE: read again, so the next contact takes the fast path.
  app.runtime.agentTokens.forget(agentId);
  // Claimed or not, a sample exists within the window now: remember it so the next contacts take the fast path.
  app.runtime.heartbeatSamples.set(agentId, now.getTime());
}

/** Effective status: usable for new commands? (not DISABLED/REVOKED and not OFFLINE by threshold) */
export function isAgentAvailable(app: App, agent: AgentRow): boolean {
  const s = effectiveAgentStatus(app, agent).status;
  return s === "ONLINE" || s === "PENDING";
}

export const agentIntervals = (app: App) => ({
  heartbeatIntervalSeconds: app.config.heartbeatIntervalSeconds,
  commandPollIntervalSeconds: app.config.commandPollIntervalSeconds,
});

/** Heartbeat: contact plus optional health; health without serviceId goes to the agent's only service. */
export async function heartbeat(
  app: App, agentId: string, body: { serviceId?: string | undefined; health?: HealthInput | undefined }, seenStatus?: string,
) {
  app.runtime.counters.heartbeatsReceived++;
  // The common heartbeat carries nothing but contact: one transaction instead of a nested savepoint.
  if (body.serviceId === undefined && !body.health) {
    await touchAgent(app, agentId, seenStatus);
    return agentIntervals(app);
  }
  // The SDK's heartbeat (serviceId + the same health as last time): a contact, not a write (healthSeen.ts).
  if (body.serviceId !== undefined && body.health) {
    const serviceId = body.serviceId;
    // cached per node, forgotten wherever the facts change (readCache.ts): the steady heartbeat reads nothing
    const stored = await readThrough(app.runtime.serviceHealth, serviceId, app.now().getTime(), () => getServiceHealthFacts(app.db, serviceId), () => serviceId);
    const fingerprint = healthFingerprint(body.health);
    const verdict = stored && stored.agentId === agentId ? healthVerdict(app, stored, fingerprint) : "write";
    if (verdict !== "write") {
      app.runtime.counters.healthWritesCoalesced++;
      if (verdict === "refresh") bufferHealthRefresh(app, body.serviceId, fingerprint, app.now().toISOString());
      await touchAgent(app, agentId, seenStatus);
      return agentIntervals(app);
    }
  }
  await app.db.transaction(async () => {
    let serviceId = body.serviceId;
    let service: ServiceRow | undefined;
    if (serviceId !== undefined) {
      service = await getService(app.db, serviceId);
      if (!service || service.agentId !== agentId) throw new AppError("CAPSULE_SERVICE_NOT_FOUND", "no such service for this agent");
    }
    if (body.health) {
      if (serviceId === undefined) {
        const own = await listServicesOfAgent(app.db, agentId);
        if (own.length !== 1) {
          throw new AppError("VALIDATION_FAILED", `health without serviceId needs exactly one service; this agent has ${own.length}`, {
            issues: [{ path: "serviceId", message: "required when the agent does not have exactly one service" }],
          });
        }
        service = own[0]!;
        serviceId = service.id;
      }
      await recordHealth(app, agentId, serviceId, body.health, service);
    }
    await touchAgent(app, agentId, undefined, true);
  });
  return agentIntervals(app);
}

export async function listAgentsPage(
  app: App, f: AgentFilter, sort: SortKey[], page: number, pageSize: number,
): Promise<{ rows: AgentWire[]; pagination: Pagination }> {
  const { rows, total } = await listAgents(app.db, f, cutoffs(app).offlineBefore, sort, page, pageSize);
  const owned = await countServicesPerAgent(app.db, rows.map((a) => a.id));
  // serviceCount: the upstream (Opstage v0.4) console reads it on every row
  return { rows: rows.map((a) => ({ ...agentToWire(app, a), serviceCount: owned.get(a.id) ?? 0 })), pagination: { page, pageSize, total } };
}

/** GET /api/admin/agents/{id}: the agent plus its services (rows of the services list, effective status). */
export async function agentDetail(app: App, id: string) {
  const agent = await requireAgentRow(app, id);
  const services = await servicesOfAgent(app, agent);
  return { ...agentToWire(app, agent), serviceCount: services.length, services };
}

export async function requireAgentRow(app: App, id: string): Promise<AgentRow> {
  const a = await getAgent(app.db, id);
  if (!a) throw new AppError("AGENT_NOT_FOUND", "no such agent");
  return a;
}

/** The stored status an enabled agent resumes with: what its heartbeat age says. */
function resumedStatus(app: App, a: AgentRow): AgentStatus {
  return effectiveAgentStatus(app, { ...a, status: "ONLINE" }).status as AgentStatus;
}

export type AgentTransition = "disable" | "enable" | "revoke";
const TRANSITIONS: ReadonlySet<string> = new Set<AgentTransition>(["disable", "enable", "revoke"]);

/**
 * The operator transitions that change an agent in this stored status: enable only a DISABLED agent,
 * disable one that is neither DISABLED nor REVOKED, revoke anything not yet REVOKED. The console offers
 * exactly these buttons; changeAgentState treats every other request as a no-op (or a conflict).
 */
export function allowedAgentTransitions(status: AgentStatus): AgentTransition[] {
  if (status === "REVOKED") return [];
  return status === "DISABLED" ? ["enable", "revoke"] : ["disable", "revoke"];
}

/** Operator transitions. A no-op (already in that state) answers the agent unchanged and writes no audit. */
export async function changeAgentState(app: App, actor: Actor, id: string, op: AgentTransition, requestId?: string): Promise<AgentRow> {
  // a route that passes a URL segment straight through must not reach the "enable" branch below
  if (!TRANSITIONS.has(op)) throw new AppError("NOT_FOUND", `no agent operation ${String(op).slice(0, 40)}`);
  return await app.db.transaction(async () => {
    const a = await requireAgentRow(app, id);
    const nowIso = app.now().toISOString();
    if (!allowedAgentTransitions(a.status).includes(op)) {
      // only re-enrolment brings a revoked agent back; anything else not allowed is already done
      if (a.status === "REVOKED" && op !== "revoke") throw new AppError("CONFLICT", "agent is revoked; re-enrol it with a registration token bound to its code");
      return a;
    }
    const next: AgentStatus = op === "revoke" ? "REVOKED" : op === "disable" ? "DISABLED" : resumedStatus(app, a);
    await setAgentStatus(app.db, id, next, nowIso);
    const revokedCount = op === "revoke" ? await revokeAgentTokens(app.db, id, nowIso) : undefined;
    await announceAgentChanged(app, id);
    await writeAudit(app, {
      actor, action: `agent.${op}d`, target: { type: "Agent", id }, requestId,
      metadata: { code: a.code, previousStatus: a.status, status: next, ...(revokedCount !== undefined ? { revokedCount } : {}) },
    });
    return (await getAgent(app.db, id))!;
  });
}

/** Maintenance: stored ONLINE/PENDING agents past the offline threshold become OFFLINE. Returns how many. The runner flushes buffered contacts first. */
export async function markOfflineAgents(app: App, limit: number): Promise<number> {
  const cutoff = cutoffs(app).offlineBefore;
  const nowIso = app.now().toISOString();
  let n = 0;
  for (const a of await listAgentsPastCutoff(app.db, cutoff, limit)) {
    const marked = await app.db.transaction(async () => {
      if (!await markAgentOffline(app.db, a.id, cutoff, nowIso)) return false;
      // a cached ONLINE would let its next heartbeat skip the OFFLINE -> ONLINE transition (and its audit)
      await announceAgentChanged(app, a.id);
      await writeAudit(app, {
        actor: { type: "SYSTEM", id: null }, action: "system.agent.offline", target: { type: "Agent", id: a.id },
        metadata: { code: a.code, previousStatus: a.status, lastHeartbeatAt: a.lastHeartbeatAt, thresholdSeconds: app.config.agentOfflineThresholdSeconds },
      });
      return true;
    });
    if (marked) n++;
  }
  return n;
}
