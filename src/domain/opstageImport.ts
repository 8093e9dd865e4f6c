// `capstan import-opstage`: an Opstage CE database (spec upstream-v04.md section 4) into Capstan. Ids,
// token hashes (unsalted SHA-256 hex, as ours) and password hashes (bcrypt, verified and re-hashed to
// argon2id at the next login, domain/auth.ts) are kept, so running upstream agents keep heartbeating
// and users keep their passwords. One transaction: all or nothing. Rows already there are skipped, so
// a second run is a no-op. Statuses are mapped to our vocabulary; secrets get our redaction.
import { createHash } from "node:crypto";
import type { App } from "../context.js";
import type { SqlParam } from "../db/engine.js";
import { earlierImports, insertImported, presentIds, targetRowCount, type ImportTable } from "../db/opstageImport.js";
import type { OpstageSource, SourceRow } from "../db/opstageSource.js";
import { AppError } from "../errors.js";
import {
  AGENT_MODES, AGENT_STATUSES, AUDIT_RESULTS, ACTOR_TYPES, BUS_ROUTE_STATUSES, DANGER_LEVELS, HEALTH_STATUSES, ROLES, TOKEN_STATUSES,
} from "../vocabulary.js";
import { writeAudit } from "./audit.js";
import { redact } from "./redact.js";
import { scrubSecretValues } from "./serviceReport.js";

export interface TableCount { table: string; source: number; imported: number; skipped: number }
export interface ImportResult { tables: TableCount[]; imported: number; fingerprint: string; alreadyImported: boolean }

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
/** Upstream timestamps are ISO-8601 text; epoch milliseconds (Prisma's other SQLite encoding) are accepted too. */
function iso(v: unknown): string | null {
  if (v === null || v === undefined || v === "") return null;
  const d = new Date(typeof v === "number" || (typeof v === "string" && /^\d+$/.test(v)) ? Number(v) : String(v));
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
}
const bool = (v: unknown, dflt: boolean): number => (v === null || v === undefined ? (dflt ? 1 : 0) : v === true || v === 1 || v === "1" || v === "true" ? 1 : 0);
const oneOf = <T extends string>(list: readonly T[], v: unknown, fallback: T): T => (list.includes(String(v) as T) ? (String(v) as T) : fallback);
function json(v: unknown): unknown {
  if (typeof v !== "string" || v === "") return null;
  try { return JSON.parse(v); } catch { return null; }
}
/** JSON text through our redaction (secrets never reach the database raw), or null. */
const redactedJson = (v: unknown): string | null => { const p = json(v); return p === null ? null : JSON.stringify(redact(p)); };

// upstream CapsuleServiceStatus -> our stored status (the effective one is computed at read time anyway)
const SERVICE_STATUS: Record<string, string> = { UP: "HEALTHY", DEGRADED: "UNHEALTHY", DOWN: "UNHEALTHY", STALE: "STALE", OFFLINE: "OFFLINE" };
// upstream TargetType enum -> the target types our audit trail uses
const TARGET_TYPE: Record<string, string> = {
  AGENT: "Agent", CAPSULE_SERVICE: "CapsuleService", COMMAND: "Command", REGISTRATION_TOKEN: "RegistrationToken",
  AGENT_TOKEN: "AgentToken", ADMIN_USER: "User", WORKSPACE: "Workspace", SYSTEM_SETTING: "Setting",
};
const TERMINAL: Record<string, string> = { SUCCEEDED: "SUCCEEDED", FAILED: "FAILED", EXPIRED: "EXPIRED", CANCELED: "CANCELLED", CANCELLED: "CANCELLED" };
const COMMAND_TTL_MS = 300_000;

/** Identity of the upstream installation: its workspace (id, creation time), so a re-run is recognised. */
export function fingerprintOf(src: OpstageSource): string {
  const w = src.tables.workspaces?.[0];
  const basis = w ? `${str(w.id)}|${iso(w.createdAt)}` : `users:${(src.tables.users ?? []).map((u) => str(u.id)).join(",")}`;
  return createHash("sha256").update(basis).digest("hex").slice(0, 32);
}

type Mapper = (r: SourceRow, i: number, ctx: MapCtx) => SqlParam[] | null;
interface MapCtx { users: Set<string>; agents: Set<string>; services: Set<string>; commands: Set<string>; nowIso: string }

/** Per table: the upstream rows -> Capstan column values (IMPORT_COLUMNS order); null skips the row (its parent is missing). */
const MAPPERS: [ImportTable, string, Mapper][] = [
  ["users", "users", (r) => [str(r.id), str(r.username), str(r.displayName), oneOf(ROLES, String(r.role).toLowerCase(), "viewer"),
    String(r.status) === "ACTIVE" ? "ACTIVE" : "DISABLED", str(r.passwordHash), iso(r.lastLoginAt), iso(r.createdAt), iso(r.updatedAt)]],
  ["agents", "agents", (r) => [str(r.id), str(r.code), str(r.name), oneOf(AGENT_MODES, r.mode, "embedded"), str(r.runtime),
    oneOf(AGENT_STATUSES, r.status, "OFFLINE"), iso(r.lastHeartbeatAt), iso(r.createdAt), iso(r.createdAt), iso(r.updatedAt)]],
  ["agent_tokens", "agent_tokens", (r, _i, c) => (c.agents.has(String(r.agentId))
    ? [str(r.id), str(r.agentId), String(r.tokenHash).toLowerCase(), String(r.status) === "ACTIVE" ? "ACTIVE" : "REVOKED", iso(r.createdAt), iso(r.revokedAt)]
    : null)],
  ["registration_tokens", "registration_tokens", (r) => {
    const status = oneOf(TOKEN_STATUSES, r.status, "REVOKED");
    return [str(r.id), str(r.name) ?? "imported", String(r.tokenHash).toLowerCase(), status, 1, status === "USED" || r.usedAt ? 1 : 0,
      iso(r.expiresAt), iso(r.usedAt), iso(r.revokedAt), iso(r.createdAt), iso(r.updatedAt)];
  }],
  ["capsule_services", "capsule_services", (r, _i, c) => [str(r.id), c.agents.has(String(r.agentId)) ? str(r.agentId) : null, str(r.code), str(r.name),
    str(r.description), str(r.version), str(r.runtime), JSON.stringify(scrubSecretValues(json(r.manifestJson) ?? {})),
    SERVICE_STATUS[String(r.status)] ?? "UNKNOWN", oneOf(HEALTH_STATUSES, r.healthStatus, "UNKNOWN"),
    iso(r.lastReportedAt), iso(r.lastHealthAt), iso(r.createdAt), iso(r.updatedAt)]],
  ["config_items", "config_items", (r, i, c) => {
    if (!c.services.has(String(r.serviceId))) return null;
    const sensitive = bool(r.sensitive, false);
    // sensitive values never reach our database (as when an agent reports them)
    return [str(r.id), str(r.serviceId), str(r.configKey), str(r.label), str(r.type) ?? "string", str(r.source), bool(r.editable, false), sensitive,
      sensitive ? null : str(r.valuePreview), sensitive ? null : str(r.defaultValue), str(r.secretRef), i];
  }],
  ["action_definitions", "action_definitions", (r, i, c) => {
    if (!c.services.has(String(r.serviceId))) return null;
    const danger = oneOf(DANGER_LEVELS, r.dangerLevel, "LOW");
    const meta = json(r.metadataJson) as { order?: unknown } | null;
    const schema = json(r.inputSchemaJson);
    return [str(r.id), str(r.serviceId), str(r.name), str(r.label) ?? str(r.name), str(r.description), danger,
      bool(r.requiresConfirmation, false) || danger === "HIGH" || danger === "CRITICAL" ? 1 : 0, bool(r.enabled, true),
      schema === null ? null : JSON.stringify(schema), r.timeoutSeconds == null ? null : Number(r.timeoutSeconds),
      typeof meta?.order === "number" ? meta.order : i];
  }],
  ["commands", "commands", (r, _i, c) => {
    if (!c.agents.has(String(r.agentId)) || !c.services.has(String(r.serviceId))) return null;
    const created = iso(r.createdAt)!;
    // an unfinished upstream command is not run again by Capstan: it is imported as expired
    const terminal = TERMINAL[String(r.status)];
    const user = str(r.createdByUserId);
    return [str(r.id), str(r.agentId), str(r.serviceId), r.type === "ACTION_PREPARE" ? "ACTION_PREPARE" : "ACTION_EXECUTE", str(r.actionName),
      terminal ?? "EXPIRED", redactedJson(r.payloadJson) ?? "{}", user && c.users.has(user) ? user : null, user ? "USER" : "SYSTEM",
      terminal ? str(r.errorCode) : "COMMAND_EXPIRED", terminal ? str(r.errorMessage) : `imported from Opstage CE while ${String(r.status)}; run it again`,
      created, iso(r.startedAt), iso(r.completedAt) ?? (terminal ? null : c.nowIso),
      iso(r.expiresAt) ?? new Date(Date.parse(created) + COMMAND_TTL_MS).toISOString()];
  }],
  ["command_results", "command_results", (r, _i, c) => (c.commands.has(String(r.commandId))
    ? [str(r.id), str(r.commandId), bool(r.success, false), str(r.message), redactedJson(r.dataJson), redactedJson(r.errorJson), iso(r.reportedAt ?? r.createdAt)]
    : null)],
  ["audit_events", "audit_events", (r) => [str(r.id), iso(r.createdAt), oneOf(ACTOR_TYPES, r.actorType, "SYSTEM"), str(r.actorId), str(r.action),
    TARGET_TYPE[String(r.targetType)] ?? str(r.targetType), str(r.targetId), oneOf(AUDIT_RESULTS, r.result, "SUCCESS"), str(r.message),
    redactedJson(r.metadataJson)]],
  ["bus_routes", "bus_routes", (r) => [str(r.id), str(r.name), str(r.description), oneOf(BUS_ROUTE_STATUSES, r.status, "DISABLED"), str(r.eventType),
    str(r.sourceServiceCode), str(r.targetServiceCode), str(r.targetActionName), redactedJson(r.inputMappingJson), iso(r.createdAt), iso(r.updatedAt)]],
];

/**
 * Imports `src` into the app's database in one transaction. A target holding data is refused unless
 * `force` or the data came from an earlier import of this same source (then only missing rows are added).
 */
export async function importOpstage(app: App, src: OpstageSource, opts: { force: boolean; fileLabel: string }): Promise<ImportResult> {
  const fingerprint = fingerprintOf(src);
  return await app.db.transaction(async () => {
    const db = app.db;
    const seenBefore = (await earlierImports(db)).some((m) => (json(m) as { fingerprint?: string } | null)?.fingerprint === fingerprint);
    if (!opts.force && !seenBefore && (await targetRowCount(db)) > 0) {
      throw new AppError("CONFLICT", "the Capstan database already holds data; import into an empty database, or pass --force to add the upstream rows to it (rows whose id, username or code exists are skipped)");
    }
    const ctx: MapCtx = { users: new Set(), agents: new Set(), services: new Set(), commands: new Set(), nowIso: app.now().toISOString() };
    const tables: TableCount[] = [];
    for (const [table, from, map] of MAPPERS) {
      const rows = src.tables[from] ?? [];
      let imported = 0;
      for (const [i, r] of rows.entries()) {
        const values = map(r, i, ctx);
        if (values && await insertImported(db, table, values)) imported++;
      }
      tables.push({ table, source: rows.length, imported, skipped: rows.length - imported });
      // children refer to what is really in the target now (imported or there before)
      if (table === "users") ctx.users = await presentIds(db, "users");
      if (table === "agents") ctx.agents = await presentIds(db, "agents");
      if (table === "capsule_services") ctx.services = await presentIds(db, "capsule_services");
      if (table === "commands") ctx.commands = await presentIds(db, "commands");
    }
    const imported = tables.reduce((n, t) => n + t.imported, 0);
    // a re-run that added nothing changes nothing, not even the audit trail
    if (imported > 0) {
      await writeAudit(app, {
        actor: { type: "SYSTEM", id: null }, action: "system.import.completed", target: { type: "System", id: null },
        message: `imported ${imported} rows from Opstage CE database ${opts.fileLabel}`,
        metadata: { source: "opstage-ce", file: opts.fileLabel, fingerprint, force: opts.force, tables: Object.fromEntries(tables.map((t) => [t.table, { source: t.source, imported: t.imported, skipped: t.skipped }])) },
      });
    }
    return { tables, imported, fingerprint, alreadyImported: seenBefore };
  });
}
