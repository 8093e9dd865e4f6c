// Settings as the console shows them: system facts, intervals and thresholds, the last maintenance
// run, and the signed-in user's API tokens.
import type { Ctx } from "../context.js";
import { listVisibleApiTokens } from "../domain/apiTokens.js";
import { lastMaintenanceRun } from "../domain/maintenance.js";
import { diagnostics } from "../domain/metrics.js";
import { systemHealth } from "../domain/system.js";
import { badge, when } from "./format.js";
import type { FormState } from "./forms.js";

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

/** The settings page: system facts, intervals, the last maintenance run, your API tokens and their form. */
export async function settingsView(ctx: Ctx<unknown>, tokenForm: FormState) {
  const { app } = ctx;
  const now = app.now();
  const d = await diagnostics(app);
  const health = await systemHealth(app);
  const last = await lastMaintenanceRun(app);
  const c = app.config;
  return {
    system: [
      ["Version", `${d.runtime.version} (${d.runtime.edition})`], ["Node.js", d.runtime.node], ["Uptime", `${d.runtime.uptimeSeconds} s`],
      ...(d.database.kind === "postgres"
        ? [["Database", `${health.database.status} · PostgreSQL ${String(d.database.serverVersion)} · ${health.database.latencyMs} ms`],
          ["Database", `${String(d.database.database)} (${String(d.database.url)})`], ["Database size", mib(Number(d.database.sizeBytes))]]
        : [["Database", `${health.database.status} · SQLite · ${health.database.latencyMs} ms`], ["Database file", String(d.database.path)],
          ["Database size", `${mib(Number(d.database.sizeBytes))} + WAL ${mib(Number(d.database.walBytes))}`]]),
      ["Schema version", `${d.migrations.databaseVersion} (code ${d.migrations.codeVersion})`],
      ["Memory (RSS)", mib(d.memory.rss)], ["Open long polls", String(d.runtime.longPollsOpen)],
    ],
    intervals: [
      ["Heartbeat interval", `${c.heartbeatIntervalSeconds} s`], ["Command poll interval", `${c.commandPollIntervalSeconds} s`],
      ["Agent offline after", `${c.agentOfflineThresholdSeconds} s`], ["Health stale after", `${c.healthStaleThresholdSeconds} s`],
      ["Command TTL", `${c.commandTtlSeconds} s`], ["Prepare timeout", `${c.prepareTimeoutSeconds} s`],
      ["Maintenance interval", c.maintenanceIntervalSeconds ? `${c.maintenanceIntervalSeconds} s` : "off (runs at start)"],
      ["Audit retention", c.auditRetentionDays ? `${c.auditRetentionDays} days` : "forever"], ["Session lifetime", `${c.sessionTtlSeconds} s`],
    ],
    maintenance: last && {
      at: when(last.finishedAt, now), trigger: last.trigger, durationMs: last.durationMs, complete: last.complete,
      changes: Object.entries(last.changes).filter(([, n]) => n > 0).map(([k, n]) => `${k}: ${n}`).join(", ") || "nothing to do",
      errors: last.errors.map((e) => `${e.task}: ${e.message}`),
    },
    tokens: (await listVisibleApiTokens(app, ctx.admin!)).map((t) => ({
      id: t.id, name: t.name, username: t.username, status: badge(t.status), active: t.status === "ACTIVE",
      created: when(t.createdAt, now), expires: when(t.expiresAt, now), lastUsed: when(t.lastUsedAt, now),
    })),
    tokenForm,
  };
}
