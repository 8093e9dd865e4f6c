// health_reports, config_items, action_definitions: what a service reports about itself.
// Configs and actions are replaced as a set per report but keep their ids while their key/name stays.
import type { Db } from "./open.js";
import { inValueChunks, parseJson, toBool } from "./query.js";
import type { DangerLevel, HealthStatus } from "../vocabulary.js";

export type { DangerLevel } from "../vocabulary.js";

export interface ActionRow {
  id: string; serviceId: string; name: string; label: string; description: string | null;
  dangerLevel: DangerLevel; requiresConfirmation: boolean; requiresApproval: boolean; enabled: boolean;
  inputSchema: Record<string, unknown> | null; timeoutSeconds: number | null;
}

export interface ConfigRow {
  id: string; serviceId: string; key: string; label: string | null; type: string; source: string | null;
  editable: boolean; sensitive: boolean; valuePreview: string | null; defaultValue: string | null; secretRef: string | null;
}

export interface HealthRow {
  id: string; serviceId: string; agentId: string | null; status: HealthStatus;
  message: string | null; details: Record<string, unknown> | null; reportedAt: string;
}

const ACTION_COLUMNS = `id, service_id, name, label, description, danger_level, requires_confirmation, enabled, input_schema_json, timeout_seconds, requires_approval`;
const CONFIG_COLUMNS = `id, service_id, key, label, type, source, editable, sensitive, value_preview, default_value, secret_ref`;
const HEALTH_COLUMNS = `id, service_id, agent_id, status, message, details_json, reported_at`;

const sql = {
  // one action by service and name (prepare/execute)
  action: `SELECT ${ACTION_COLUMNS} FROM action_definitions WHERE service_id = ? AND name = ?`,
  // the action set in reported order
  actions: `SELECT ${ACTION_COLUMNS} FROM action_definitions WHERE service_id = ? ORDER BY position, name`,
  // upsert keeps the id of an action whose name is reported again
  upsertAction: `INSERT INTO action_definitions (${ACTION_COLUMNS}, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (service_id, name) DO UPDATE SET label = excluded.label, description = excluded.description,
                 danger_level = excluded.danger_level, requires_confirmation = excluded.requires_confirmation,
                 enabled = excluded.enabled, input_schema_json = excluded.input_schema_json,
                 timeout_seconds = excluded.timeout_seconds, requires_approval = excluded.requires_approval, position = excluded.position`,
  // an action no longer reported
  deleteAction: `DELETE FROM action_definitions WHERE id = ?`,
  // the config set in reported order
  configs: `SELECT ${CONFIG_COLUMNS} FROM config_items WHERE service_id = ? ORDER BY position, key`,
  // upsert keeps the id of a config whose key is reported again
  upsertConfig: `INSERT INTO config_items (${CONFIG_COLUMNS}, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (service_id, key) DO UPDATE SET label = excluded.label, type = excluded.type,
                 source = excluded.source, editable = excluded.editable, sensitive = excluded.sensitive,
                 value_preview = excluded.value_preview, default_value = excluded.default_value,
                 secret_ref = excluded.secret_ref, position = excluded.position`,
  // a config no longer reported
  deleteConfig: `DELETE FROM config_items WHERE id = ?`,
  // latest health of a service
  health: `SELECT ${HEALTH_COLUMNS} FROM health_reports WHERE service_id = ?`,
  // refresh of an unchanged health (domain/contacts.ts): the report's time follows, while its service
  // still has that health; (service id, time, fingerprint) rows
  refreshHealth: (values: string) => `UPDATE health_reports SET reported_at = v.column2 FROM (VALUES ${values}) AS v
    WHERE health_reports.service_id = v.column1 AND health_reports.reported_at < v.column2
      AND EXISTS (SELECT 1 FROM capsule_services s WHERE s.id = v.column1 AND s.last_health_fingerprint = v.column3)`,
  // one row per service: the newest report replaces the previous one
  upsertHealth: `INSERT INTO health_reports (${HEALTH_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (service_id) DO UPDATE SET agent_id = excluded.agent_id, status = excluded.status,
                 message = excluded.message, details_json = excluded.details_json, reported_at = excluded.reported_at`,
};

type RawAction = {
  id: string; service_id: string; name: string; label: string; description: string | null; danger_level: DangerLevel;
  requires_confirmation: number; enabled: number; input_schema_json: string | null; timeout_seconds: number | null; requires_approval: number;
};
type RawConfig = {
  id: string; service_id: string; key: string; label: string | null; type: string; source: string | null; editable: number;
  sensitive: number; value_preview: string | null; default_value: string | null; secret_ref: string | null;
};
type RawHealth = {
  id: string; service_id: string; agent_id: string | null; status: HealthRow["status"]; message: string | null;
  details_json: string | null; reported_at: string;
};

const toAction = (r: RawAction): ActionRow => ({
  id: r.id, serviceId: r.service_id, name: r.name, label: r.label, description: r.description, dangerLevel: r.danger_level,
  requiresConfirmation: toBool(r.requires_confirmation), requiresApproval: toBool(r.requires_approval), enabled: toBool(r.enabled),
  inputSchema: parseJson<Record<string, unknown> | null>(r.input_schema_json, null), timeoutSeconds: r.timeout_seconds,
});
const toConfig = (r: RawConfig): ConfigRow => ({
  id: r.id, serviceId: r.service_id, key: r.key, label: r.label, type: r.type, source: r.source, editable: toBool(r.editable),
  sensitive: toBool(r.sensitive), valuePreview: r.value_preview, defaultValue: r.default_value, secretRef: r.secret_ref,
});
const toHealth = (r: RawHealth): HealthRow => ({
  id: r.id, serviceId: r.service_id, agentId: r.agent_id, status: r.status, message: r.message,
  details: parseJson<Record<string, unknown> | null>(r.details_json, null), reportedAt: r.reported_at,
});

export async function getActionDefinition(db: Db, serviceId: string, name: string): Promise<ActionRow | undefined> {
  const r = await db.get<RawAction>(sql.action, [serviceId, name]);
  return r && toAction(r);
}

export const listActionDefinitions = async (db: Db, serviceId: string): Promise<ActionRow[]> => (await db.all<RawAction>(sql.actions, [serviceId])).map(toAction);
export const listConfigItems = async (db: Db, serviceId: string): Promise<ConfigRow[]> => (await db.all<RawConfig>(sql.configs, [serviceId])).map(toConfig);

export async function getHealthReport(db: Db, serviceId: string): Promise<HealthRow | undefined> {
  const r = await db.get<RawHealth>(sql.health, [serviceId]);
  return r && toHealth(r);
}

/** Replaces the action set: upserts in order (ids kept by name), deletes the ones not reported. */
export async function replaceActionDefinitions(db: Db, serviceId: string, actions: ActionRow[]): Promise<void> {
  const keep = new Set(actions.map((a) => a.name));
  for (const old of await listActionDefinitions(db, serviceId)) if (!keep.has(old.name)) await db.run(sql.deleteAction, [old.id]);
  for (const [i, a] of actions.entries()) {
    await db.run(sql.upsertAction, [a.id, serviceId, a.name, a.label, a.description, a.dangerLevel, a.requiresConfirmation ? 1 : 0,
      a.enabled ? 1 : 0, a.inputSchema === null ? null : JSON.stringify(a.inputSchema), a.timeoutSeconds, a.requiresApproval ? 1 : 0, i]);
  }
}

/** Replaces the config set: upserts in order (ids kept by key), deletes the ones not reported. */
export async function replaceConfigItems(db: Db, serviceId: string, configs: ConfigRow[]): Promise<void> {
  const keep = new Set(configs.map((c) => c.key));
  for (const old of await listConfigItems(db, serviceId)) if (!keep.has(old.key)) await db.run(sql.deleteConfig, [old.id]);
  for (const [i, c] of configs.entries()) {
    await db.run(sql.upsertConfig, [c.id, serviceId, c.key, c.label, c.type, c.source, c.editable ? 1 : 0, c.sensitive ? 1 : 0,
      c.valuePreview, c.defaultValue, c.secretRef, i]);
  }
}

export async function upsertHealthReport(db: Db, h: HealthRow): Promise<void> {
  await db.run(sql.upsertHealth, [h.id, h.serviceId, h.agentId, h.status, h.message, h.details === null ? null : JSON.stringify(h.details), h.reportedAt]);
}

/** The report's time of services whose health is unchanged: [serviceId, time, fingerprint] rows. */
export async function refreshHealthReports(db: Db, rows: [string, string, string][]): Promise<void> {
  await inValueChunks(rows, (values, params) => db.run(sql.refreshHealth(values), params));
}
