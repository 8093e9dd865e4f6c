// The upstream Opstage CE database (spec upstream-v04.md section 4), opened read-only for
// `capstan import-opstage`: one SQLite file with camelCase columns. This module only reads it and
// checks its shape; mapping to Capstan's rows is the domain's (src/domain/opstageImport.ts).
import Database from "better-sqlite3";

export class OpstageSourceError extends Error {}

/** A column name; a trailing "?" marks one older upstream versions may lack (read as NULL then). */
type Col = string;

/** The tables read and their columns, in import order (parents first). `optional`: older files may lack the table. */
export const OPSTAGE_TABLES: Record<string, { columns: Col[]; optional?: boolean }> = {
  workspaces: { columns: ["id", "code?", "name", "createdAt"] },
  users: { columns: ["id", "username", "passwordHash", "displayName?", "role", "status", "lastLoginAt?", "createdAt", "updatedAt"] },
  agents: { columns: ["id", "code", "name?", "mode?", "runtime?", "status", "lastHeartbeatAt?", "createdAt", "updatedAt"] },
  agent_tokens: { columns: ["id", "agentId", "tokenHash", "status", "revokedAt?", "createdAt"] },
  registration_tokens: { columns: ["id", "name", "tokenHash", "status", "expiresAt?", "usedAt?", "revokedAt?", "createdAt", "updatedAt"] },
  capsule_services: {
    columns: ["id", "agentId", "code", "name", "description?", "version?", "runtime?", "status", "healthStatus?", "manifestJson",
      "lastReportedAt?", "lastHealthAt?", "createdAt", "updatedAt"],
  },
  config_items: {
    columns: ["id", "serviceId", "configKey", "label?", "type", "source?", "editable?", "sensitive?", "valuePreview?", "defaultValue?", "secretRef?"],
  },
  action_definitions: {
    columns: ["id", "serviceId", "name", "label?", "description?", "dangerLevel?", "requiresConfirmation?", "inputSchemaJson?",
      "timeoutSeconds?", "enabled?", "metadataJson?"],
  },
  commands: {
    columns: ["id", "agentId", "serviceId", "type?", "actionName", "status", "payloadJson?", "createdByUserId?", "errorCode?",
      "errorMessage?", "createdAt", "startedAt?", "completedAt?", "expiresAt?"],
  },
  command_results: { columns: ["id", "commandId", "success", "message?", "dataJson?", "errorJson?", "reportedAt?", "createdAt?"] },
  audit_events: {
    columns: ["id", "actorType", "actorId?", "action", "targetType?", "targetId?", "result", "message?", "metadataJson?", "createdAt"],
  },
  bus_routes: {
    optional: true, // v0.4-experimental; a v0.1-v0.3 file has none
    columns: ["id", "name", "description?", "status", "eventType", "sourceServiceCode?", "targetServiceCode", "targetActionName",
      "inputMappingJson?", "createdAt", "updatedAt"],
  },
};

export type SourceRow = Record<string, unknown>;
export interface OpstageSource { file: string; tables: Record<string, SourceRow[]> }

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Reads every table the import needs, all at once (a consistent read inside one read transaction).
 * Throws OpstageSourceError with the reason when the file is unreadable or not an Opstage database.
 */
export function readOpstageSource(file: string): OpstageSource {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new OpstageSourceError(`cannot open ${file}: ${(err as Error).message}`);
  }
  try {
    const read = db.transaction(() => {
      const tables: Record<string, SourceRow[]> = {};
      for (const [table, spec] of Object.entries(OPSTAGE_TABLES)) {
        const present = new Set((db.pragma(`table_info(${quote(table)})`) as { name: string }[]).map((c) => c.name));
        if (present.size === 0) {
          if (spec.optional) { tables[table] = []; continue; }
          throw new OpstageSourceError(`${file} is not an Opstage CE database: it has no table ${table}`);
        }
        const missing = spec.columns.filter((c) => !c.endsWith("?") && !present.has(c));
        if (missing.length) throw new OpstageSourceError(`${file} is not an Opstage CE database: table ${table} lacks ${missing.join(", ")}`);
        const select = spec.columns.map((c) => {
          const name = c.replace(/\?$/, "");
          return present.has(name) ? quote(name) : `NULL AS ${quote(name)}`;
        });
        tables[table] = db.prepare(`SELECT ${select.join(", ")} FROM ${quote(table)} ORDER BY rowid`).all() as SourceRow[];
      }
      return tables;
    });
    return { file, tables: read() };
  } catch (err) {
    if (err instanceof OpstageSourceError) throw err;
    // "file is not a database" and friends: the file is not SQLite at all
    throw new OpstageSourceError(`cannot read ${file} as an Opstage CE database: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}
