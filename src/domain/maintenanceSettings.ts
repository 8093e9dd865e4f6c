// The maintenance settings an owner may change at run time (Opstage v0.4's
// GET|PATCH /api/admin/settings/maintenance): offline threshold, audit retention, sweep interval.
// Stored in the settings table; a stored value wins over its CAPSTAN_* variable. Every node reads
// them before each scheduled run (maintenance.ts), so a change reaches the other nodes of a
// PostgreSQL cluster within one interval; the node that took the PATCH applies it at once.
import type { Actor, App } from "../context.js";
import { getSetting, putSetting } from "../db/settings.js";
import { AppError } from "../errors.js";
import type { MaintenanceSettingsInput } from "../schemas/operations.js";
import { writeAudit } from "./audit.js";

const KEY = "maintenance.settings";

export interface MaintenanceSettings {
  agentOfflineThresholdSeconds: number;
  auditRetentionDays: number;
  maintenanceIntervalSeconds: number;
}
const FIELDS = ["agentOfflineThresholdSeconds", "auditRetentionDays", "maintenanceIntervalSeconds"] as const;

/** The effective values (what this node runs with). */
export const maintenanceSettings = (app: App): MaintenanceSettings => ({
  agentOfflineThresholdSeconds: app.config.agentOfflineThresholdSeconds,
  auditRetentionDays: app.config.auditRetentionDays,
  maintenanceIntervalSeconds: app.config.maintenanceIntervalSeconds,
});

/**
 * Applies the stored values to this node's configuration (the one place app.config changes after
 * start: every reader of these three sees the owner's choice without a restart). Answers whether
 * the interval changed, so the scheduler can reschedule.
 */
export async function loadMaintenanceSettings(app: App): Promise<boolean> {
  const stored = (await getSetting<Partial<MaintenanceSettings>>(app.db, KEY))?.value ?? {};
  const before = app.config.maintenanceIntervalSeconds;
  for (const f of FIELDS) {
    const v = stored[f];
    // a hand-edited value out of range is ignored rather than trusted
    if (typeof v === "number" && Number.isInteger(v) && v >= (f === "agentOfflineThresholdSeconds" ? 1 : 0)) app.config[f] = v;
  }
  return app.config.maintenanceIntervalSeconds !== before;
}

/** PATCH: merges, checks, persists, audits, applies here and reschedules this node's timer. */
export async function updateMaintenanceSettings(app: App, actor: Actor, patch: MaintenanceSettingsInput, requestId?: string): Promise<MaintenanceSettings> {
  const minThreshold = 2 * app.config.heartbeatIntervalSeconds;
  if (patch.agentOfflineThresholdSeconds !== undefined && patch.agentOfflineThresholdSeconds < minThreshold) {
    const message = `must be at least 2 x the heartbeat interval (${minThreshold} s), or agents would flap offline between heartbeats`;
    throw new AppError("VALIDATION_FAILED", `agentOfflineThresholdSeconds: ${message}`, { issues: [{ path: "agentOfflineThresholdSeconds", message }] });
  }
  const before = maintenanceSettings(app);
  const next = await app.db.transaction(async () => {
    const stored = (await getSetting<Partial<MaintenanceSettings>>(app.db, KEY))?.value ?? {};
    const merged = { ...stored, ...patch };
    await putSetting(app.db, KEY, merged, app.now().toISOString());
    const after = { ...before, ...patch };
    const changes: Record<string, { from: number; to: number }> = {};
    for (const f of FIELDS) if (before[f] !== after[f]) changes[f] = { from: before[f], to: after[f] };
    await writeAudit(app, { actor, action: "settings.maintenance.updated", target: { type: "Workspace", id: null }, metadata: { changes }, requestId });
    return after;
  });
  Object.assign(app.config, next);
  if (next.maintenanceIntervalSeconds !== before.maintenanceIntervalSeconds) app.runtime.maintenance.reschedule?.();
  return next;
}
