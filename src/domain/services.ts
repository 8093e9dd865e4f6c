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
import { cutoffs, effectiveServiceStatus, wireServiceStatus } from "./status.js";
import { servicePackageInfo } from "./packages/serviceLink.js";

export type { ActionRow } from "../db/serviceParts.js";

export function serviceToWire(app: App, s: ServiceListRow, agent: AgentRow | undefined) {
  const eff = wireServiceStatus(app, s, agent);
  return {
    id: s.id, agentId: s.agentId, code: s.code, name: s.name, description: s.description, version: s.version,
    runtime: s.runtime, status: eff.status, healthStatus: s.healthStatus, lastReportedAt: s.lastReportedAt,
    lastHealthAt: s.lastHealthAt, createdAt: s.createdAt, updatedAt: s.updatedAt,
    storedStatus: s.storedStatus, statusReason: eff.reason, agentCode: agent?.code ?? null, releasedAt: s.releasedAt,
    // manifest.package as reported; approved: an install request allows it on this agent (read time)
    package: s.packageName ? { name: s.packageName, version: s.packageVersion, digest: s.packageDigest, approved: s.packageApproved } : null,
  };
}
export type ServiceWire = ReturnType<typeof serviceToWire>;

export const healthToWire = (h: HealthRow) => ({
  id: h.id, serviceId: h.serviceId, agentId: h.agentId, status: h.status, message: h.message,
  details: scrubSecretValues(h.details ?? {}), reportedAt: h.reportedAt,
});

export const configToWire = (c: ConfigRow) => ({
  // configKey: the upstream (Opstage v0.4) console reads its column name; same value as key
  id: c.id, serviceId: c.serviceId, key: c.key, configKey: c.key, label: c.label, type: c.type, source: c.source, editable: c.editable,
  sensitive: c.sensitive, valuePreview: c.sensitive ? null : c.valuePreview, defaultValue: c.sensitive ? null : c.defaultValue,
  secretRef: c.secretRef,
});

/** inputSchema is not redacted: a property named "password" is a form field, not a secret. */
export const actionToWire = (a: ActionRow) => ({
  id: a.id, serviceId: a.serviceId, name: a.name, label: a.label, description: a.description, dangerLevel: a.dangerLevel,
  requiresConfirmation: a.requiresConfirmation, requiresApproval: a.requiresApproval, enabled: a.enabled,
  ...(a.inputSchema !== null ? { inputSchema: a.inputSchema } : {}),
  ...(a.timeoutSeconds !== null ? { timeoutSeconds: a.timeoutSeconds } : {}),
});

export async function requireService(app: App, id: string): Promise<ServiceRow> {
  const s = await getService(app.db, id);
  if (!s) throw new AppError("CAPSULE_SERVICE_NOT_FOUND", "no such capsule service");
  return s;
}

const ownerOf = async (app: App, s: ServiceListRow): Promise<AgentRow | undefined> => (s.agentId ? await getAgent(app.db, s.agentId) : undefined);

export async function listServicesPage(
  app: App, f: ServiceFilter, sort: SortKey[], page: number, pageSize: number,
): Promise<{ rows: ServiceWire[]; pagination: Pagination }> {
  const { rows, total } = await listServices(app.db, f, cutoffs(app), sort, page, pageSize);
  const agents = new Map<string, AgentRow | undefined>();
  const agentOf = async (s: ServiceListRow) => {
    if (!s.agentId) return undefined;
    if (!agents.has(s.agentId)) agents.set(s.agentId, await getAgent(app.db, s.agentId));
    return agents.get(s.agentId);
  };
  const wire: ServiceWire[] = [];
  for (const s of rows) wire.push(serviceToWire(app, s, await agentOf(s)));
  return { rows: wire, pagination: { page, pageSize, total } };
}

/** The services an agent reports (agent detail page). */
export const servicesOfAgent = async (app: App, agent: AgentRow): Promise<ServiceWire[]> =>
  (await listServicesOfAgent(app.db, agent.id)).map((s) => serviceToWire(app, s, agent));

/** One declared action of a service, as stored (inputSchema, danger level, confirmation). */
export const findActionDefinition = async (app: App, serviceId: string, name: string): Promise<ActionRow | undefined> => await getActionDefinition(app.db, serviceId, name);

export async function requireActionDefinition(app: App, serviceId: string, name: string): Promise<ActionRow> {
  const a = await findActionDefinition(app, serviceId, name);
  if (!a) throw new AppError("ACTION_NOT_FOUND", `the service declares no action named ${name}`);
  return a;
}

export const serviceWire = async (app: App, id: string): Promise<ServiceWire> => {
  const s = await requireService(app, id);
  return serviceToWire(app, s, await ownerOf(app, s));
};

export async function serviceDetail(app: App, id: string) {
  const s = await requireService(app, id);
  const health = await getHealthReport(app.db, id);
  const agent = await ownerOf(app, s);
  const configs = await listConfigItems(app.db, id);
  const actions = await listActionDefinitions(app.db, id);
  return {
    ...serviceToWire(app, s, agent),
    manifest: scrubSecretValues(s.manifest),
    health: health ? healthToWire(health) : null,
    configs: configs.map(configToWire),
    actions: actions.map(actionToWire),
    // ours: the package link, drift, compatibility and flags (src/domain/packages/serviceLink.ts)
    package: await servicePackageInfo(app, s, agent, actions, configs),
  };
}

export const serviceManifest = async (app: App, id: string): Promise<Record<string, unknown>> => scrubSecretValues((await requireService(app, id)).manifest);

/** Latest health, or null when the service never reported any. */
export async function serviceHealth(app: App, id: string) {
  await requireService(app, id);
  const h = await getHealthReport(app.db, id);
  return h ? healthToWire(h) : null;
}

export async function serviceConfigs(app: App, id: string) {
  await requireService(app, id);
  return (await listConfigItems(app.db, id)).map(configToWire);
}

export async function serviceActions(app: App, id: string) {
  await requireService(app, id);
  return (await listActionDefinitions(app.db, id)).map(actionToWire);
}

/** Frees the code so another agent may report it. Releasing twice is a no-op without a second audit event. */
export async function releaseServiceById(app: App, actor: Actor, id: string, requestId?: string): Promise<ServiceWire> {
  return await app.db.transaction(async () => {
    const s = await requireService(app, id);
    if (await releaseService(app.db, id, app.now().toISOString())) {
      await writeAudit(app, {
        actor, action: "service.released", target: { type: "CapsuleService", id }, requestId,
        metadata: { code: s.code, agentId: s.agentId },
      });
    }
    return serviceWire(app, id);
  });
}

/**
 * Maintenance: brings stored_status in step with the effective status. Moves into STALE are audited
 * (system.service.stale); other moves (to OFFLINE, or back after recovery) are bookkeeping only.
 */
export async function markStaleServices(app: App, limit: number): Promise<number> {
  const nowIso = app.now().toISOString();
  let n = 0;
  for (const s of await listDriftedServices(app.db, cutoffs(app), limit)) {
    await app.db.transaction(async () => {
      if (!await setServiceStoredStatus(app.db, s.id, s.storedStatus, s.effective, nowIso)) return;
      n++;
      if (s.effective !== "STALE") return;
      const agent = await ownerOf(app, s);
      await writeAudit(app, {
        actor: { type: "SYSTEM", id: null }, action: "system.service.stale", target: { type: "CapsuleService", id: s.id },
        message: effectiveServiceStatus(app, s, agent).reason,
        metadata: { code: s.code, previousStatus: s.storedStatus, lastHealthAt: s.lastHealthAt, agentId: s.agentId },
      });
    });
  }
  return n;
}
