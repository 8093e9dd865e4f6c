// Metrics and diagnostics as data: status counts by *effective* status (status.ts's SQL twins, so they
// never lag behind the maintenance sweep), the admin metrics JSON (reference AdminMetrics) and the diagnostics snapshot.
import type { App } from "../context.js";
import { countAuditActions } from "../db/audit.js";
import { join } from "node:path";
import { maintenanceSettings } from "./maintenanceSettings.js";
import { codeSchemaVersionOf, databaseFacts, migrationListOf, redactedUrl } from "../db/facts.js";
import { countAgentsByStatus } from "../db/agents.js";
import { commandsByStatusType, tableTotals } from "../db/metrics.js";
import { countServicesByStatus } from "../db/services.js";
import { lastMaintenanceRun } from "./maintenance.js";
import { redact } from "./redact.js";
import { cutoffs } from "./status.js";

import { AGENT_STATUSES, COMMAND_STATUSES, SERVICE_STATUSES } from "../vocabulary.js";

/** Every known status with its count (0 included), so series and JSON keys stay stable. */
const complete = (keys: readonly string[], counts: Record<string, number>): Record<string, number> =>
  Object.fromEntries([...keys, ...Object.keys(counts).filter((k) => !keys.includes(k))].map((k) => [k, counts[k] ?? 0]));

export async function statusCounts(app: App) {
  const c = cutoffs(app);
  const commandRows = await commandsByStatusType(app.db);
  const commands: Record<string, number> = {};
  for (const r of commandRows) commands[r.status] = (commands[r.status] ?? 0) + r.n;
  return {
    agents: complete(AGENT_STATUSES, await countAgentsByStatus(app.db, c.offlineBefore)),
    capsuleServices: complete(SERVICE_STATUSES, await countServicesByStatus(app.db, c)),
    commands: complete(COMMAND_STATUSES, commands),
    commandsByStatusType: commandRows,
  };
}

/** GET /api/admin/metrics: reference AdminMetrics {totals, byStatus, operational}. */
export async function adminMetrics(app: App) {
  const counts = await statusCounts(app);
  const audit = await countAuditActions(app.db);
  const c = app.runtime.counters;
  return {
    totals: await tableTotals(app.db),
    byStatus: { agents: counts.agents, capsuleServices: counts.capsuleServices, commands: counts.commands },
    operational: {
      agentCommandPolls: c.agentCommandPolls,
      commandsDispatched: audit["command.dispatched"] ?? 0,
      commandsCompleted: audit["command.completed"] ?? 0,
      commandsFailed: audit["command.failed"] ?? 0,
      actionPrepareRequested: audit["service.action.prepared"] ?? 0,
      actionPrepareTimeouts: c.actionPrepareTimeouts,
      actionPrepareFailures: audit["command.prepare.failed"] ?? 0,
      oversizedCommandResultsRejected: c.oversizedCommandResultsRejected,
      // ours, in-memory since start
      heartbeatsReceived: c.heartbeatsReceived,
      auditEventsWritten: c.auditEventsWritten,
      httpRequests: c.httpRequests,
      longPollsOpen: app.runtime.hub.openLongPolls(),
    },
  };
}

/** GET /api/admin/diagnostics: runtime, memory, config without secrets, maintenance, database, migrations. */
export async function diagnostics(app: App) {
  const now = app.now();
  const facts = await databaseFacts(app.db, app.config.databaseUrl);
  const { adminPassword: _secret, databaseUrl, ...rest } = app.config;
  const config = { ...rest, databaseUrl: databaseUrl && redactedUrl(databaseUrl) }; // its password never leaves
  const applied = facts.schemaVersion;
  return {
    runtime: {
      version: app.version, edition: "ce", node: process.version, platform: process.platform, arch: process.arch, pid: process.pid,
      startedAt: app.runtime.startedAt.toISOString(),
      uptimeSeconds: Math.max(0, Math.floor((now.getTime() - app.runtime.startedAt.getTime()) / 1000)),
      longPollsOpen: app.runtime.hub.openLongPolls(),
    },
    memory: process.memoryUsage(),
    // adminPassword is dropped outright; redact() is the second net for anything secret-looking
    config: redact(config),
    maintenance: { intervalSeconds: app.config.maintenanceIntervalSeconds, lastRun: await lastMaintenanceRun(app) },
    database: facts,
    migrations: {
      databaseVersion: applied,
      codeVersion: codeSchemaVersionOf(app.db.kind),
      files: migrationListOf(app.db.kind).map((m) => ({ ...m, applied: m.version <= applied })),
    },
  };
}

/**
 * GET /api/admin/diagnostics/runtime: the Opstage v0.4 console's shape. The database URL never shows
 * a password; SQLite installations show the file as a sqlite: URL.
 */
export function runtimeDiagnostics(app: App) {
  const c = app.config;
  return {
    version: app.version, edition: "ce", node: process.version, platform: process.platform, arch: process.arch,
    uptimeSeconds: Math.max(0, Math.floor((app.now().getTime() - app.runtime.startedAt.getTime()) / 1000)),
    pid: process.pid, memory: process.memoryUsage(),
    config: {
      host: c.host, port: c.port,
      databaseUrl: c.databaseUrl ? redactedUrl(c.databaseUrl) : `sqlite:${join(c.dataDir, "capstan.db")}`,
      backupDir: join(c.dataDir, "backups"),
      maintenance: maintenanceSettings(app),
      capsuleBusEnabled: c.busEnabled,
    },
  };
}
