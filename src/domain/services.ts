// Capsule services: admin reads and wire shapes, operator release, the stale sweep.
// What agents report (manifest, configs, actions, health) is written by serviceReport.ts.
import type { Actor, App } from "../context.js";
import { getAgent, type AgentRow } from "../db/agents.js";
import { getService, listDriftedServices, listServices, listServicesOfAgent, releaseService, setServiceStoredStatus, type ServiceFilter, type ServiceListRow, type ServiceRow } from "../db/services.js";
import { getActionDefinition, getHealthReport, listActionDefinitions, listConfigItems, type ActionRow, type ConfigRow, type HealthRow } from "../db/serviceParts.js";
import type { SortKey } from "../db/query.js";
import { AppError } from "../errors.js";
import type { Pagination } from "../http/reply.js";
import { writeAudit } from "./audit.js";
import { scrubSecretValues } from "./serviceReport.js";
import { cutoffs, effectiveServiceStatus } from "./status.js";

export type { ActionRow } from "../db/serviceParts.js";

export function serviceToWire(app: App, s: ServiceListRow, agent: AgentRow | undefined) {
  const eff = effectiveServiceStatus(app, s, agent);
  return {
    id: s.id, agentId: s.agentId, code: s.code, name: s.name, description: s.description, version: s.version,
    runtime: s.runtime, status: eff.status, healthStatus: s.healthStatus, lastReportedAt: s.lastReportedAt,
    lastHealthAt: s.lastHealthAt, createdAt: s.createdAt, updatedAt: s.updatedAt,
    storedStatus: s.storedStatus, statusReason: eff.reason, agentCode: agent?.code ?? null, releasedAt: s.releasedAt,
  };
}
export type ServiceWire = ReturnType<typeof serviceToWire>;

export const healthToWire = (h: HealthRow) => ({
  id: h.id, serviceId: h.serviceId, agentId: h.agentId, status: h.status, message: h.message,
  details: scrubSecretValues(h.details ?? {}), reportedAt: h.reportedAt,
});

export const configToWire = (c: ConfigRow) => ({
  id: c.id, serviceId: c.serviceId, key: c.key, label: c.label, type: c.type, source: c.source, editable: c.editable,
  sensitive: c.sensitive, valuePreview: c.sensitive ? null : c.valuePreview, defaultValue: c.sensitive ? null : c.defaultValue,
  secretRef: c.secretRef,
});

/** inputSchema is not redacted: a property named "password" is a form field, not a secret. */
export const actionToWire = (a: ActionRow) => ({
  id: a.id, serviceId: a.serviceId, name: a.name, label: a.label, description: a.description, dangerLevel: a.dangerLevel,
  requiresConfirmation: a.requiresConfirmation, enabled: a.enabled,
  ...(a.inputSchema !== null ? { inputSchema: a.inputSchema } : {}),
  ...(a.timeoutSeconds !== null ? { timeoutSeconds: a.timeoutSeconds } : {}),
});

export function requireService(app: App, id: string): ServiceRow {
  const s = getService(app.db, id);
  if (!s) throw new AppError("CAPSULE_SERVICE_NOT_FOUND", "no such capsule service");
  return s;
}

const ownerOf = (app: App, s: ServiceListRow): AgentRow | undefined => (s.agentId ? getAgent(app.db, s.agentId) : undefined);

export function listServicesPage(
  app: App, f: ServiceFilter, sort: SortKey[], page: number, pageSize: number,
): { rows: ServiceWire[]; pagination: Pagination } {
  const { rows, total } = listServices(app.db, f, cutoffs(app), sort, page, pageSize);
  const agents = new Map<string, AgentRow | undefined>();
  const agentOf = (s: ServiceListRow) => {
    if (!s.agentId) return undefined;
    if (!agents.has(s.agentId)) agents.set(s.agentId, getAgent(app.db, s.agentId));
    return agents.get(s.agentId);
  };
  return { rows: rows.map((s) => serviceToWire(app, s, agentOf(s))), pagination: { page, pageSize, total } };
}

/** The services an agent reports (agent detail page). */
export const servicesOfAgent = (app: App, agent: AgentRow): ServiceWire[] =>
  listServicesOfAgent(app.db, agent.id).map((s) => serviceToWire(app, s, agent));

/** One declared action of a service, as stored (inputSchema, danger level, confirmation). */
export const findActionDefinition = (app: App, serviceId: string, name: string): ActionRow | undefined => getActionDefinition(app.db, serviceId, name);

export function requireActionDefinition(app: App, serviceId: string, name: string): ActionRow {
  const a = findActionDefinition(app, serviceId, name);
  if (!a) throw new AppError("ACTION_NOT_FOUND", `the service declares no action named ${name}`);
  return a;
}

export const serviceWire = (app: App, id: string): ServiceWire => {
  const s = requireService(app, id);
  return serviceToWire(app, s, ownerOf(app, s));
};

export function serviceDetail(app: App, id: string) {
  const s = requireService(app, id);
  const health = getHealthReport(app.db, id);
  return {
    ...serviceToWire(app, s, ownerOf(app, s)),
    manifest: scrubSecretValues(s.manifest),
    health: health ? healthToWire(health) : null,
    configs: listConfigItems(app.db, id).map(configToWire),
    actions: listActionDefinitions(app.db, id).map(actionToWire),
  };
}

export const serviceManifest = (app: App, id: string): Record<string, unknown> => scrubSecretValues(requireService(app, id).manifest);

/** Latest health, or null when the service never reported any. */
export function serviceHealth(app: App, id: string) {
  requireService(app, id);
  const h = getHealthReport(app.db, id);
  return h ? healthToWire(h) : null;
}

export function serviceConfigs(app: App, id: string) {
  requireService(app, id);
  return listConfigItems(app.db, id).map(configToWire);
}

export function serviceActions(app: App, id: string) {
  requireService(app, id);
  return listActionDefinitions(app.db, id).map(actionToWire);
}

/** Frees the code so another agent may report it. Releasing twice is a no-op without a second audit event. */
export function releaseServiceById(app: App, actor: Actor, id: string, requestId?: string): ServiceWire {
  return app.db.transaction(() => {
    const s = requireService(app, id);
    if (releaseService(app.db, id, app.now().toISOString())) {
      writeAudit(app, {
        actor, action: "service.released", target: { type: "CapsuleService", id }, requestId,
        metadata: { code: s.code, agentId: s.agentId },
      });
    }
    return serviceWire(app, id);
  })();
}

/**
 * Maintenance: brings stored_status in step with the effective status. Moves into STALE are audited
 * (system.service.stale); other moves (to OFFLINE, or back after recovery) are bookkeeping only.
 */
export function markStaleServices(app: App, limit: number): number {
  const nowIso = app.now().toISOString();
  let n = 0;
  for (const s of listDriftedServices(app.db, cutoffs(app), limit)) {
    app.db.transaction(() => {
      if (!setServiceStoredStatus(app.db, s.id, s.storedStatus, s.effective, nowIso)) return;
      n++;
      if (s.effective !== "STALE") return;
      const agent = ownerOf(app, s);
      writeAudit(app, {
        actor: { type: "SYSTEM", id: null }, action: "system.service.stale", target: { type: "CapsuleService", id: s.id },
        message: effectiveServiceStatus(app, s, agent).reason,
        metadata: { code: s.code, previousStatus: s.storedStatus, lastHealthAt: s.lastHealthAt, agentId: s.agentId },
      });
    })();
  }
  return n;
}
