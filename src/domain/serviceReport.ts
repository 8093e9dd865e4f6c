// What agents report about their services: manifest, configs, actions, health. Identity is the code;
// a code owned by another live agent is refused (no takeover), and sensitive values never reach the DB.
import type { App } from "../context.js";
import { getAgent } from "../db/agents.js";
import { getService, getServiceByCode, insertService, setServiceHealth, updateService, type ServiceRow, type ServiceStatus } from "../db/services.js";
import { listConfigItems, replaceActionDefinitions, replaceConfigItems, upsertHealthReport, type ActionRow, type ConfigRow } from "../db/serviceParts.js";
import { AppError } from "../errors.js";
import { announceServiceChanged } from "./wakeups.js";
import { newId } from "../ids.js";
import { CapsuleManifest, type HealthInputT, type ReportedServiceT } from "../schemas/services.js";
import { ManifestPackage } from "../schemas/servicePackage.js";
import { writeAudit } from "./audit.js";
import { healthFingerprint } from "./healthSeen.js";
import { inputSchemaProblems } from "./commands/payload.js";
import { isSecretKey, REDACTED, redactString } from "./redact.js";

export type HealthInput = HealthInputT;

/**
 * Replaces secret-looking *values* (strings and numbers under secret keys, raw tokens anywhere) but
 * keeps objects under such keys, so an inputSchema property named "password" survives.
 */
export function scrubSecretValues<T>(value: T, depth = 0): T {
  if (depth > 64) return REDACTED as T;
  if (typeof value === "string") return redactString(value) as T;
  if (Array.isArray(value)) return value.map((v) => scrubSecretValues(v, depth + 1)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const secretScalar = (typeof v === "string" && v !== "") || typeof v === "number";
      out[k] = isSecretKey(k) && secretScalar ? REDACTED : scrubSecretValues(v, depth + 1);
    }
    return out as T;
  }
  return value;
}

const storedFromHealth = (h: HealthInput["status"]): ServiceStatus =>
  h === "UP" ? "HEALTHY" : h === "DEGRADED" || h === "DOWN" ? "UNHEALTHY" : "UNKNOWN";

/** Stores the latest health of a service and its fingerprint (call inside a transaction); a change of status is audited. */
export async function recordHealth(
  app: App, agentId: string, serviceId: string, h: HealthInput,
  /** the service row as the caller's transaction already read it (saves reading it again) */
  read?: ServiceRow,
): Promise<void> {
  const nowIso = app.now().toISOString();
  const before = read ?? await getService(app.db, serviceId);
  await upsertHealthReport(app.db, {
    id: newId("hlr"), serviceId, agentId, status: h.status,
    message: h.message === undefined ? null : redactString(h.message),
    details: h.details === undefined ? null : scrubSecretValues(h.details), reportedAt: nowIso,
  });
  await setServiceHealth(app.db, serviceId, h.status, healthFingerprint(h), storedFromHealth(h.status), nowIso);
  await announceServiceChanged(app, serviceId);
  // The first health of a new service is not a transition worth a line in the trail.
  if (before?.lastHealthAt && before.healthStatus !== h.status) {
    await writeAudit(app, {
      actor: { type: "AGENT", id: agentId }, action: "service.health.changed", target: { type: "CapsuleService", id: serviceId },
      metadata: { code: before.code, from: before.healthStatus, to: h.status },
    });
  }
}

function toConfigRows(serviceId: string, configs: ReportedServiceT["configs"]): ConfigRow[] {
  return (configs ?? []).map((c) => {
    // A key that names a secret is treated as sensitive even when the agent forgot to say so.
    const sensitive = c.sensitive === true || isSecretKey(c.key);
    return {
      id: newId("cfg"), serviceId, key: c.key, label: c.label ?? null, type: c.type, source: c.source ?? null,
      editable: c.editable ?? false, sensitive,
      valuePreview: sensitive || c.valuePreview == null ? null : redactString(c.valuePreview),
      defaultValue: sensitive || c.defaultValue == null ? null : redactString(c.defaultValue),
      secretRef: c.secretRef ?? null,
    };
  });
}

function toActionRows(serviceId: string, actions: ReportedServiceT["actions"]): ActionRow[] {
  return (actions ?? []).map((a) => ({
    id: newId("act"), serviceId, name: a.name, label: a.label ?? a.name, description: a.description ?? null,
    dangerLevel: a.dangerLevel,
    // HIGH and CRITICAL always need confirmation; storing it makes every reader agree.
    requiresConfirmation: a.requiresConfirmation || a.dangerLevel === "HIGH" || a.dangerLevel === "CRITICAL",
    requiresApproval: a.requiresApproval,
    enabled: a.enabled, inputSchema: a.inputSchema ?? null, timeoutSeconds: a.timeoutSeconds ?? null,
  }));
}

const comparable = (c: ConfigRow) => JSON.stringify([c.key, c.label, c.type, c.source, c.editable, c.sensitive, c.valuePreview, c.defaultValue, c.secretRef]);

function configDiff(before: ConfigRow[], after: ConfigRow[]) {
  const b = new Map(before.map((c) => [c.key, comparable(c)]));
  const a = new Map(after.map((c) => [c.key, comparable(c)]));
  const added = [...a.keys()].filter((k) => !b.has(k));
  const removed = [...b.keys()].filter((k) => !a.has(k));
  const changed = [...a.keys()].filter((k) => b.has(k) && b.get(k) !== a.get(k));
  const reordered = before.map((c) => c.key).join("\n") !== after.map((c) => c.key).join("\n");
  return { added, removed, changed, any: added.length + removed.length + changed.length > 0 || reordered };
}

function checkManifest(app: App, s: ReportedServiceT): void {
  const bytes = Buffer.byteLength(JSON.stringify(s.manifest));
  if (bytes > app.config.manifestMaxBytes) {
    throw new AppError("CAPSULE_SERVICE_MANIFEST_TOO_LARGE", `manifest of ${s.code} is ${bytes} bytes; the limit is ${app.config.manifestMaxBytes}`, {
      code: s.code, bytes, limit: app.config.manifestMaxBytes,
    });
  }
  const parsed = CapsuleManifest.safeParse(s.manifest);
  if (!parsed.success) {
    throw new AppError("CAPSULE_SERVICE_MANIFEST_INVALID", `manifest of ${s.code} is invalid`, {
      code: s.code, issues: parsed.error.issues.map((i) => ({ path: ["manifest", ...i.path].join("."), message: i.message })),
    });
  }
  const pkg = parsed.data.package === undefined ? undefined : ManifestPackage.safeParse(parsed.data.package);
  if (pkg && !pkg.success) {
    throw new AppError("CAPSULE_SERVICE_MANIFEST_INVALID", `manifest.package of ${s.code} is invalid`, {
      code: s.code, issues: pkg.error.issues.map((i) => ({ path: ["manifest", "package", ...i.path].join("."), message: i.message })),
    });
  }
  if (parsed.data.code !== s.code) {
    throw new AppError("CAPSULE_SERVICE_MANIFEST_INVALID", "manifest.code must equal the reported code", {
      code: s.code, issues: [{ path: "manifest.code", message: `must equal ${s.code}` }],
    });
  }
}

/** An inputSchema is untrusted: over the limits, with a regex RE2 cannot run or a secret we cannot locate, it is refused now, not when an operator runs the action. */
function checkActionSchemas(s: ReportedServiceT): void {
  for (const [i, a] of (s.actions ?? []).entries()) {
    if (!a.inputSchema) continue;
    const problems = inputSchemaProblems(a.inputSchema);
    if (problems.length) {
      throw new AppError("VALIDATION_FAILED", `action ${a.name} of ${s.code}: ${problems[0]}`, {
        issues: problems.map((message) => ({ path: `actions.${i}.inputSchema`, message })), code: s.code, action: a.name,
      });
    }
  }
}

/** One reported service; call inside a transaction. */
async function reportOne(app: App, agentId: string, s: ReportedServiceT, requestId?: string): Promise<{ code: string; serviceId: string }> {
  checkManifest(app, s);
  checkActionSchemas(s);
  const db = app.db;
  const nowIso = app.now().toISOString();
  const actor = { type: "AGENT" as const, id: agentId };
  const existing = await getServiceByCode(db, s.code);
  let movedFrom: { agentId: string | null; reason: string } | undefined;
  if (existing && existing.agentId !== agentId) {
    const owner = existing.agentId ? await getAgent(db, existing.agentId) : undefined;
    if (owner && owner.status !== "REVOKED" && !existing.releasedAt) {
      throw new AppError("CAPSULE_SERVICE_CODE_TAKEN", `service code ${s.code} belongs to another agent; an operator can release it`, {
        code: s.code, serviceId: existing.id,
      });
    }
    movedFrom = { agentId: existing.agentId, reason: !owner ? "owner deleted" : owner.status === "REVOKED" ? "owner revoked" : "released" };
  }
  const manifest = scrubSecretValues(s.manifest);
  const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
  const serviceId = existing?.id ?? newId("svc");
  const write = {
    id: serviceId, agentId, code: s.code, name: s.name, description: s.description ?? str(manifest.description),
    version: s.version ?? str(manifest.version), runtime: s.runtime ?? str(manifest.runtime),
    manifestJson: JSON.stringify(manifest), nowIso, ...packageColumns(manifest.package),
  };
  if (existing) await updateService(db, write);
  else await insertService(db, write);
  if (existing && existing.agentId !== agentId) await announceServiceChanged(app, serviceId); // a new owner
  const target = { type: "CapsuleService", id: serviceId };
  if (movedFrom) {
    await writeAudit(app, { actor, action: "service.reassigned", target, requestId, metadata: { code: s.code, fromAgentId: movedFrom.agentId, toAgentId: agentId, reason: movedFrom.reason } });
  }
  if (!existing || existing.version !== write.version) {
    await writeAudit(app, { actor, action: "service.reported", target, requestId, metadata: { code: s.code, version: write.version, previousVersion: existing?.version ?? null, created: !existing } });
  }
  const configs = toConfigRows(serviceId, s.configs);
  const diff = configDiff(existing ? await listConfigItems(db, serviceId) : [], configs);
  await replaceConfigItems(db, serviceId, configs);
  if (existing && diff.any) {
    await writeAudit(app, { actor, action: "service.config.changed", target, requestId, metadata: { code: s.code, added: diff.added, removed: diff.removed, changed: diff.changed } });
  }
  await replaceActionDefinitions(db, serviceId, toActionRows(serviceId, s.actions));
  if (s.health) await recordHealth(app, agentId, serviceId, s.health);
  return { code: s.code, serviceId };
}

/** Reports services inside the caller's transaction (registration uses this). */
export async function reportServicesTx(app: App, agentId: string, services: ReportedServiceT[], requestId?: string): Promise<{ code: string; serviceId: string }[]> {
  const out: { code: string; serviceId: string }[] = [];
  for (const s of services) out.push(await reportOne(app, agentId, s, requestId)); // in order, one at a time: same transaction
  return out;
}

/** POST /api/agents/:agentId/services/report: all services or none; a refused takeover is audited. */
export async function reportServices(app: App, agentId: string, services: ReportedServiceT[], requestId?: string): Promise<{ code: string; serviceId: string }[]> {
  try {
    return await app.db.transaction(async () => reportServicesTx(app, agentId, services, requestId));
  } catch (err) {
    if (err instanceof AppError && err.code === "CAPSULE_SERVICE_CODE_TAKEN") {
      await app.db.transaction(async () => {
        await writeAudit(app, {
          actor: { type: "AGENT", id: agentId }, action: "service.reported", result: "FAILURE", requestId,
          target: { type: "CapsuleService", id: (err.details?.serviceId as string | undefined) ?? null },
          metadata: { errorCode: err.code, code: err.details?.code },
        });
      });
    }
    throw err;
  }
}

/** manifest.package (checked by checkManifest) as the service's package columns. */
function packageColumns(p: unknown): { packageName: string | null; packageVersion: string | null; packageDigest: string | null } {
  const pkg = ManifestPackage.safeParse(p);
  return pkg.success
    ? { packageName: pkg.data.name, packageVersion: pkg.data.version, packageDigest: pkg.data.digest ?? null }
    : { packageName: null, packageVersion: null, packageDigest: null };
}
