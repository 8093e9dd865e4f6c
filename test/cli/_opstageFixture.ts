// An upstream-shaped Opstage CE database (spec upstream-v04.md section 4; columns as the reference's
// Prisma schema names them, camelCase, timestamps as ISO text, JSON as text, booleans 0/1) with users
// (bcrypt cost 12), agents with tokens (unsalted SHA-256 hex), services, configs, actions, commands,
// results, audit events and a v0.4 bus route.
import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { hashSync } from "bcryptjs";

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

const DDL = `
CREATE TABLE workspaces (id TEXT PRIMARY KEY, code TEXT, name TEXT, status TEXT, createdAt TEXT, updatedAt TEXT);
CREATE TABLE users (id TEXT PRIMARY KEY, workspaceId TEXT, username TEXT UNIQUE, passwordHash TEXT, displayName TEXT, role TEXT, status TEXT, lastLoginAt TEXT, createdAt TEXT, updatedAt TEXT);
CREATE TABLE system_settings (id TEXT PRIMARY KEY, workspaceId TEXT, key TEXT, valueJson TEXT, createdAt TEXT, updatedAt TEXT);
CREATE TABLE registration_tokens (id TEXT PRIMARY KEY, workspaceId TEXT, name TEXT, tokenHash TEXT UNIQUE, status TEXT, agentId TEXT, expiresAt TEXT, usedAt TEXT, revokedAt TEXT, createdAt TEXT, updatedAt TEXT);
CREATE TABLE agents (id TEXT PRIMARY KEY, workspaceId TEXT, code TEXT, name TEXT, mode TEXT, runtime TEXT, status TEXT, lastHeartbeatAt TEXT, disabledAt TEXT, revokedAt TEXT, createdAt TEXT, updatedAt TEXT);
CREATE TABLE agent_tokens (id TEXT PRIMARY KEY, agentId TEXT, tokenHash TEXT UNIQUE, name TEXT, status TEXT, lastUsedAt TEXT, revokedAt TEXT, createdAt TEXT, updatedAt TEXT);
CREATE TABLE capsule_services (id TEXT PRIMARY KEY, workspaceId TEXT, agentId TEXT, code TEXT, name TEXT, description TEXT, version TEXT, runtime TEXT, status TEXT, healthStatus TEXT, manifestJson TEXT, lastReportedAt TEXT, lastHealthAt TEXT, createdAt TEXT, updatedAt TEXT);
CREATE TABLE health_reports (id TEXT PRIMARY KEY, workspaceId TEXT, serviceId TEXT, agentId TEXT, status TEXT, message TEXT, detailsJson TEXT, reportedAt TEXT, createdAt TEXT);
CREATE TABLE config_items (id TEXT PRIMARY KEY, workspaceId TEXT, serviceId TEXT, configKey TEXT, label TEXT, type TEXT, source TEXT, editable INTEGER, sensitive INTEGER, valuePreview TEXT, defaultValue TEXT, secretRef TEXT, metadataJson TEXT, createdAt TEXT, updatedAt TEXT);
CREATE TABLE action_definitions (id TEXT PRIMARY KEY, workspaceId TEXT, serviceId TEXT, name TEXT, label TEXT, description TEXT, dangerLevel TEXT, requiresConfirmation INTEGER, inputSchemaJson TEXT, timeoutSeconds INTEGER, enabled INTEGER, metadataJson TEXT, createdAt TEXT, updatedAt TEXT);
CREATE TABLE commands (id TEXT PRIMARY KEY, workspaceId TEXT, agentId TEXT, serviceId TEXT, type TEXT, actionName TEXT, status TEXT, payloadJson TEXT, createdByUserId TEXT, errorCode TEXT, errorMessage TEXT, createdAt TEXT, updatedAt TEXT, startedAt TEXT, completedAt TEXT, expiresAt TEXT);
CREATE TABLE command_results (id TEXT PRIMARY KEY, commandId TEXT UNIQUE, agentId TEXT, success INTEGER, message TEXT, dataJson TEXT, errorJson TEXT, reportedAt TEXT, createdAt TEXT);
CREATE TABLE audit_events (id TEXT PRIMARY KEY, workspaceId TEXT, actorType TEXT, actorId TEXT, action TEXT, targetType TEXT, targetId TEXT, result TEXT, message TEXT, ipAddress TEXT, userAgent TEXT, metadataJson TEXT, createdAt TEXT);
CREATE TABLE bus_events (id TEXT PRIMARY KEY, workspaceId TEXT, eventType TEXT, sourceServiceId TEXT, sourceServiceCode TEXT, payloadJson TEXT, metadataJson TEXT, correlationId TEXT, causationId TEXT, occurredAt TEXT, acceptedAt TEXT, routeCount INTEGER);
CREATE TABLE bus_routes (id TEXT PRIMARY KEY, workspaceId TEXT, name TEXT, description TEXT, status TEXT, eventType TEXT, sourceServiceCode TEXT, targetServiceCode TEXT, targetActionName TEXT, inputMappingJson TEXT, metadataJson TEXT, createdAt TEXT, updatedAt TEXT);
`;

export const FIXTURE = {
  owner: { id: "usr_AAAAAAAAAAAAAAAA", username: "alice", password: "alice-upstream-pass-1" },
  viewer: { id: "usr_BBBBBBBBBBBBBBBB", username: "bob", password: "bob-upstream-pass-22" },
  agent: { id: "agt_AAAAAAAAAAAAAAAA", code: "web-1", token: "opstage_agent_liveTokenOfWeb1xxxxxxxxxxxxxxxxxxxxxxxx" },
  hub: { id: "agt_HHHHHHHHHHHHHHHH", code: "edge-hub", token: "opstage_agent_liveTokenOfTheHubxxxxxxxxxxxxxxxxxxxxxx" },
  revokedToken: "opstage_agent_revokedTokenxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
  services: ["svc_AAAAAAAAAAAAAAAA", "svc_BBBBBBBBBBBBBBBB", "svc_CCCCCCCCCCCCCCCC"],
  commands: ["cmd_AAAAAAAAAAAAAAAA", "cmd_BBBBBBBBBBBBBBBB", "cmd_CCCCCCCCCCCCCCCC"],
  audit: 4,
};

/** Writes the fixture to `file`; `broken` adds an agent whose code is NULL (a row Capstan cannot store). */
export function writeOpstageDb(file: string, opts: { broken?: boolean } = {}): void {
  const db = new Database(file);
  db.exec(DDL);
  const at = (m: number) => new Date(Date.UTC(2026, 9, 1, 12, m)).toISOString();
  const ins = (table: string, row: Record<string, unknown>) =>
    db.prepare(`INSERT INTO ${table} (${Object.keys(row).join(", ")}) VALUES (${Object.keys(row).map(() => "?").join(", ")})`).run(...Object.values(row));
  const w = "wks_default";
  ins("workspaces", { id: w, code: "default", name: "Default Workspace", status: "ACTIVE", createdAt: at(0), updatedAt: at(0) });
  for (const [u, role] of [[FIXTURE.owner, "owner"], [FIXTURE.viewer, "viewer"]] as const) {
    ins("users", { id: u.id, workspaceId: w, username: u.username, passwordHash: hashSync(u.password, 12), displayName: u.username, role, status: "ACTIVE", createdAt: at(1), updatedAt: at(1) });
  }
  ins("system_settings", { id: "set_AAAAAAAAAAAAAAAA", workspaceId: w, key: "agentOfflineThresholdSeconds", valueJson: "90", createdAt: at(1), updatedAt: at(1) });
  ins("registration_tokens", { id: "tok_AAAAAAAAAAAAAAAA", workspaceId: w, name: "first", tokenHash: sha("opstage_reg_used"), status: "USED", agentId: FIXTURE.agent.id, usedAt: at(2), createdAt: at(2), updatedAt: at(2) });
  ins("registration_tokens", { id: "tok_BBBBBBBBBBBBBBBB", workspaceId: w, name: "spare", tokenHash: sha("opstage_reg_spare"), status: "ACTIVE", expiresAt: at(600), createdAt: at(2), updatedAt: at(2) });
  ins("agents", { id: FIXTURE.agent.id, workspaceId: w, code: FIXTURE.agent.code, name: "Web 1", mode: "embedded", runtime: "nodejs", status: "ONLINE", lastHeartbeatAt: at(9), createdAt: at(3), updatedAt: at(9) });
  ins("agents", { id: FIXTURE.hub.id, workspaceId: w, code: FIXTURE.hub.code, name: "Edge hub", mode: "ophub", runtime: "go", status: "ONLINE", lastHeartbeatAt: at(9), createdAt: at(3), updatedAt: at(9) });
  if (opts.broken) ins("agents", { id: "agt_ZZZZZZZZZZZZZZZZ", workspaceId: w, code: null, status: "ONLINE", createdAt: at(3), updatedAt: at(3) });
  ins("agent_tokens", { id: "atk_AAAAAAAAAAAAAAAA", agentId: FIXTURE.agent.id, tokenHash: sha(FIXTURE.agent.token), status: "ACTIVE", createdAt: at(3), updatedAt: at(3) });
  ins("agent_tokens", { id: "atk_HHHHHHHHHHHHHHHH", agentId: FIXTURE.hub.id, tokenHash: sha(FIXTURE.hub.token), status: "ACTIVE", createdAt: at(3), updatedAt: at(3) });
  ins("agent_tokens", { id: "atk_RRRRRRRRRRRRRRRR", agentId: FIXTURE.agent.id, tokenHash: sha(FIXTURE.revokedToken), status: "REVOKED", revokedAt: at(3), createdAt: at(2), updatedAt: at(3) });
  const owners = [FIXTURE.agent.id, FIXTURE.hub.id, FIXTURE.hub.id];
  const codes = ["web", "nginx", "redis"];
  for (const [i, id] of FIXTURE.services.entries()) {
    const code = codes[i]!;
    ins("capsule_services", {
      id, workspaceId: w, agentId: owners[i], code, name: `Service ${code}`, version: "1.0.0", runtime: "nodejs", status: i === 2 ? "DOWN" : "UP",
      healthStatus: i === 2 ? "DOWN" : "UP", manifestJson: JSON.stringify({ kind: "CapsuleService", code, name: `Service ${code}`, version: "1.0.0" }),
      lastReportedAt: at(8), lastHealthAt: at(8), createdAt: at(4), updatedAt: at(8),
    });
    ins("config_items", { id: `cfg_${String(i).repeat(16)}`, workspaceId: w, serviceId: id, configKey: "db.password", label: "DB password", type: "string", editable: 0, sensitive: 1, valuePreview: "hunter2-upstream", createdAt: at(4), updatedAt: at(4) });
    ins("action_definitions", {
      id: `act_${String(i).repeat(16)}`, workspaceId: w, serviceId: id, name: "restart", label: "Restart", dangerLevel: "HIGH", requiresConfirmation: 0,
      inputSchemaJson: JSON.stringify({ type: "object", properties: { reason: { type: "string" } } }), timeoutSeconds: 60, enabled: 1,
      metadataJson: JSON.stringify({ category: "ops", order: 3 }), createdAt: at(4), updatedAt: at(4),
    });
  }
  const statuses = ["SUCCEEDED", "FAILED", "DISPATCHED"];
  for (const [i, id] of FIXTURE.commands.entries()) {
    ins("commands", {
      id, workspaceId: w, agentId: owners[i], serviceId: FIXTURE.services[i], type: "ACTION", actionName: "restart", status: statuses[i],
      payloadJson: JSON.stringify({ reason: "upgrade", apiKey: "sk-upstream-secret" }), createdByUserId: FIXTURE.owner.id,
      errorCode: i === 1 ? "ACTION_FAILED" : null, errorMessage: i === 1 ? "boom" : null,
      createdAt: at(5 + i), updatedAt: at(6 + i), startedAt: at(5 + i), completedAt: i < 2 ? at(6 + i) : null, expiresAt: at(10 + i),
    });
    if (i < 2) ins("command_results", { id: `crs_${String(i).repeat(16)}`, commandId: id, agentId: owners[i], success: i === 0 ? 1 : 0, message: i === 0 ? "ok" : "boom", dataJson: i === 0 ? JSON.stringify({ restarted: true }) : null, errorJson: i === 1 ? JSON.stringify({ code: "ACTION_FAILED", message: "boom" }) : null, reportedAt: at(6 + i), createdAt: at(6 + i) });
  }
  const audit = [["USER", FIXTURE.owner.id, "auth.login.succeeded", "ADMIN_USER", FIXTURE.owner.id], ["AGENT", FIXTURE.agent.id, "agent.registered", "AGENT", FIXTURE.agent.id],
    ["USER", FIXTURE.owner.id, "command.created", "COMMAND", FIXTURE.commands[0]], ["SYSTEM", null, "system.maintenance.completed", null, null]];
  for (const [i, [type, actor, action, tt, tid]] of audit.entries()) {
    ins("audit_events", { id: `aud_${String(i).repeat(16)}`, workspaceId: w, actorType: type, actorId: actor, action, targetType: tt, targetId: tid, result: "SUCCESS", metadataJson: JSON.stringify({ token: "opstage_agent_leaked" }), createdAt: at(i) });
  }
  ins("bus_routes", {
    id: "brr_AAAAAAAAAAAAAAAA", workspaceId: w, name: "restart on deploy", status: "DRY_RUN", eventType: "deploy.finished", sourceServiceCode: "web",
    targetServiceCode: "nginx", targetActionName: "restart", inputMappingJson: JSON.stringify({ reason: "deploy" }), createdAt: at(7), updatedAt: at(7),
  });
  db.close();
}
