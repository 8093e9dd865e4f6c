// Writes of `capstan import-opstage` into Capstan's own tables: plain inserts that keep the upstream
// ids and skip a row whose id (or another unique value: a username, a code) is already there, so a
// second run inserts nothing. Both engines (ON CONFLICT DO NOTHING is portable). The mapping from
// upstream rows is the domain's (src/domain/opstageImport.ts).
import type { Db, SqlParam } from "./engine.js";

/** Columns written per table, in the order the domain passes values. */
export const IMPORT_COLUMNS = {
  users: ["id", "username", "display_name", "role", "status", "password_hash", "last_login_at", "created_at", "updated_at"],
  agents: ["id", "code", "name", "mode", "runtime", "status", "last_heartbeat_at", "registered_at", "created_at", "updated_at"],
  agent_tokens: ["id", "agent_id", "token_hash", "status", "created_at", "revoked_at"],
  registration_tokens: ["id", "name", "token_hash", "status", "max_uses", "use_count", "expires_at", "used_at", "revoked_at", "created_at", "updated_at"],
  capsule_services: ["id", "agent_id", "code", "name", "description", "version", "runtime", "manifest_json", "stored_status", "health_status",
    "last_reported_at", "last_health_at", "created_at", "updated_at"],
  config_items: ["id", "service_id", "key", "label", "type", "source", "editable", "sensitive", "value_preview", "default_value", "secret_ref", "position"],
  action_definitions: ["id", "service_id", "name", "label", "description", "danger_level", "requires_confirmation", "enabled", "input_schema_json",
    "timeout_seconds", "position"],
  commands: ["id", "agent_id", "service_id", "type", "action_name", "status", "payload_json", "created_by_user_id", "created_by_type",
    "error_code", "error_message", "created_at", "started_at", "completed_at", "expires_at"],
  command_results: ["id", "command_id", "success", "message", "data_json", "error_json", "reported_at"],
  audit_events: ["id", "created_at", "actor_type", "actor_id", "action", "target_type", "target_id", "result", "message", "metadata_json"],
  bus_routes: ["id", "name", "description", "status", "event_type", "source_service_code", "target_service_code", "action_name",
    "payload_template_json", "created_at", "updated_at"],
} as const;
export type ImportTable = keyof typeof IMPORT_COLUMNS;

const insertSql = (table: ImportTable): string => {
  const cols = IMPORT_COLUMNS[table];
  return `INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")}) ON CONFLICT DO NOTHING`;
};

const sql = {
  // one insert per imported table, skipping rows already there (by id or another unique value)
  insert: Object.fromEntries(Object.keys(IMPORT_COLUMNS).map((t) => [t, insertSql(t as ImportTable)])) as Record<ImportTable, string>,
  // ids present in a parent table, so children of a skipped parent are skipped rather than break a foreign key
  ids: { users: `SELECT id FROM users`, agents: `SELECT id FROM agents`, capsule_services: `SELECT id FROM capsule_services`, commands: `SELECT id FROM commands` },
  // does the target already hold data an import could collide with?
  nonEmpty: `SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM agents) + (SELECT COUNT(*) FROM capsule_services)
    + (SELECT COUNT(*) FROM commands) + (SELECT COUNT(*) FROM registration_tokens) + (SELECT COUNT(*) FROM bus_routes) AS n`,
  // earlier imports (their metadata names the source)
  imports: `SELECT metadata_json FROM audit_events WHERE action = 'system.import.completed'`,
};

/** Inserts one row; false when it was skipped because it (or a unique value of it) is already there. */
export async function insertImported(db: Db, table: ImportTable, values: readonly SqlParam[]): Promise<boolean> {
  return (await db.run(sql.insert[table], values)).changes === 1;
}

export async function presentIds(db: Db, table: keyof typeof sql.ids): Promise<Set<string>> {
  return new Set((await db.all<{ id: string }>(sql.ids[table])).map((r) => r.id));
}

/** Rows in the tables an import writes (users, agents, services, commands, tokens, bus routes). */
export const targetRowCount = async (db: Db): Promise<number> => Number((await db.get<{ n: number }>(sql.nonEmpty))!.n);

/** Metadata of every earlier `system.import.completed` event (JSON text). */
export const earlierImports = async (db: Db): Promise<string[]> =>
  (await db.all<{ metadata_json: string | null }>(sql.imports)).map((r) => r.metadata_json ?? "{}");
