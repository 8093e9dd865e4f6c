// Effective statuses, computed at read time from stored state and the clock, each with a one-line
// reason. The SQL twins (effectiveAgentStatusSql, effectiveServiceStatusSql) must give the same answer.
import type { App } from "../context.js";
import type { AgentRow } from "../db/agents.js";
import type { Cutoffs, ServiceListRow } from "../db/services.js";

export interface EffectiveStatus {
  status: string;
  reason: string;
}

/** The cutoff times for "now": contact before `offlineBefore` is past the offline threshold, etc. */
export function cutoffs(app: Pick<App, "now" | "config">): Cutoffs {
  const now = app.now().getTime();
  return {
    offlineBefore: new Date(now - app.config.agentOfflineThresholdSeconds * 1000).toISOString(),
    healthStaleBefore: new Date(now - app.config.healthStaleThresholdSeconds * 1000).toISOString(),
    enforcePackages: app.config.packagePolicy === "enforce",
  };
}

/** Human duration for reasons: "45 s", "12 min", "2 h 5 min", "3 d". Seconds up to 10 min, to compare with thresholds given in seconds. */
export function reasonAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 600) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** Registration counts as contact, like agentContactSql(). */
export const lastContact = (a: AgentRow): string =>
  a.lastHeartbeatAt && a.lastHeartbeatAt > a.registeredAt ? a.lastHeartbeatAt : a.registeredAt;

export function effectiveAgentStatus(app: App, a: AgentRow): EffectiveStatus {
  if (a.status === "DISABLED") return { status: "DISABLED", reason: "disabled by an operator" };
  if (a.status === "REVOKED") return { status: "REVOKED", reason: "revoked; re-enrol it with a registration token bound to its code" };
  const now = app.now().getTime();
  const contact = lastContact(a);
  const silentMs = now - Date.parse(contact);
  const threshold = `offline after ${app.config.agentOfflineThresholdSeconds} s`;
  const neverHeard = a.lastHeartbeatAt === null || a.lastHeartbeatAt < a.registeredAt;
  if (contact < cutoffs(app).offlineBefore) {
    return neverHeard
      ? { status: "OFFLINE", reason: `registered ${reasonAge(silentMs)} ago and never sent a heartbeat (${threshold})` }
      : { status: "OFFLINE", reason: `no heartbeat for ${reasonAge(silentMs)} (${threshold})` };
  }
  if (neverHeard) return { status: "PENDING", reason: "registered; waiting for the first heartbeat" };
  return { status: "ONLINE", reason: `last heartbeat ${reasonAge(silentMs)} ago` };
}

/** contract.md "Effective service status"; the released case is ours (an operator freed the code). */
export function effectiveServiceStatus(app: App, s: ServiceListRow, a: AgentRow | undefined): EffectiveStatus {
  if (s.releasedAt) return { status: "OFFLINE", reason: "released by an operator; waiting for an agent to report this code" };
  if (!a) return { status: "OFFLINE", reason: "no agent owns this service" };
  if (a.status === "DISABLED") return { status: "OFFLINE", reason: `agent ${a.code} is disabled` };
  if (a.status === "REVOKED") return { status: "OFFLINE", reason: `agent ${a.code} is revoked` };
  const now = app.now().getTime();
  const c = cutoffs(app);
  if (a.status === "OFFLINE") return { status: "OFFLINE", reason: `agent ${a.code} is offline (silent for ${reasonAge(now - Date.parse(lastContact(a)))})` };
  if (lastContact(a) < c.offlineBefore) {
    return { status: "STALE", reason: `agent ${a.code} has not sent a heartbeat for ${reasonAge(now - Date.parse(lastContact(a)))}` };
  }
  if (s.lastHealthAt && s.lastHealthAt < c.healthStaleBefore) {
    return { status: "STALE", reason: `last health report ${reasonAge(now - Date.parse(s.lastHealthAt))} ago (stale after ${app.config.healthStaleThresholdSeconds} s)` };
  }
  if (s.healthStatus === "UP") return { status: "HEALTHY", reason: "health UP" };
  if (s.healthStatus === "DEGRADED" || s.healthStatus === "DOWN") return { status: "UNHEALTHY", reason: `health ${s.healthStatus}` };
  return { status: "UNKNOWN", reason: s.lastHealthAt ? "health UNKNOWN" : "no health reported yet" };
}

/**
 * The status on the wire: the effective status, or QUARANTINED (ours, catalog.md) when the package
 * policy is enforced and the service runs a package version (or digest) no approved install request
 * allows on its agent. An offline service stays OFFLINE. The SQL twin is wireServiceStatusSql.
 */
export function wireServiceStatus(app: App, s: ServiceListRow, a: AgentRow | undefined): EffectiveStatus {
  const eff = effectiveServiceStatus(app, s, a);
  if (app.config.packagePolicy !== "enforce" || s.packageApproved || eff.status === "OFFLINE") return eff;
  return { status: "QUARANTINED", reason: `${notApprovedReason(s, a)}; approving an install request releases it` };
}

/** "package acme/x@1.2.0 (sha256:abcd1234…) is not approved for agent billing" */
export function notApprovedReason(s: Pick<ServiceListRow, "packageName" | "packageVersion" | "packageDigest">, a: Pick<AgentRow, "code"> | undefined): string {
  const digest = s.packageDigest ? ` (${s.packageDigest.slice(0, 15)}…)` : "";
  return `package ${s.packageName}@${s.packageVersion}${digest} is not approved for agent ${a?.code ?? "(none)"}`;
}
