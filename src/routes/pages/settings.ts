// /settings: system facts, maintenance, backup download and personal API tokens — the same domain
// operations as /api/admin/{diagnostics,maintenance/run,backup,api-tokens}.
import { route, type Ctx } from "../../context.js";
import { snapshotDownload } from "../../domain/backup.js";
import { createApiToken, listVisibleApiTokens, revokeVisibleApiToken } from "../../domain/apiTokens.js";
import { lastMaintenanceRun, triggerMaintenance } from "../../domain/maintenance.js";
import { diagnostics } from "../../domain/metrics.js";
import { systemHealth } from "../../domain/system.js";
import { AppError } from "../../errors.js";
import { redirect, stream, type Reply } from "../../http/reply.js";
import { CreateApiTokenBody } from "../../schemas/apiTokens.js";
import { idOf } from "../../schemas/common.js";
import { setFlash } from "../../console/flash.js";
import { badge, when } from "../../console/format.js";
import { fieldErrors, pick, readForm, type FieldErrors } from "../../console/forms.js";
import { page } from "../../console/view.js";

const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

function settingsPage(ctx: Ctx<unknown>, tokenForm: { values: Record<string, string>; errors: FieldErrors; message: string | null }, status = 200): Reply {
  const { app } = ctx;
  const now = app.now();
  const d = diagnostics(app);
  const health = systemHealth(app);
  const last = lastMaintenanceRun(app);
  const c = app.config;
  return page(ctx, "settings/index", {
    system: [
      ["Version", `${d.runtime.version} (${d.runtime.edition})`], ["Node.js", d.runtime.node], ["Uptime", `${d.runtime.uptimeSeconds} s`],
      ["Database", `${health.database.status} · SQLite · ${health.database.latencyMs} ms`], ["Database file", String(d.database.path)],
      ["Database size", `${mib(d.database.sizeBytes)} + WAL ${mib(d.database.walBytes)}`],
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
    tokens: listVisibleApiTokens(app, ctx.admin!).map((t) => ({
      id: t.id, name: t.name, username: t.username, status: badge(t.status), active: t.status === "ACTIVE",
      created: when(t.createdAt, now), expires: when(t.expiresAt, now), lastUsed: when(t.lastUsedAt, now),
    })),
    tokenForm,
  }, { title: "Settings", nav: "settings", status });
}

export const settingsPages = [
  route({
    method: "GET", path: "/settings", auth: "viewer", page: true, name: "showSettings",
    handler: (ctx) => settingsPage(ctx, { values: {}, errors: {}, message: null }),
  }),
  route({
    method: "POST", path: "/settings/maintenance", auth: "operator", page: true, name: "runMaintenancePage",
    handler: async (ctx) => {
      const r = await triggerMaintenance(ctx.app, actorOf(ctx), ctx.requestId);
      const changed = Object.values(r.changes).reduce((a, b) => a + b, 0);
      setFlash(ctx.app, ctx.admin!.sessionId, {
        kind: r.errors.length ? "error" : "success",
        message: `Maintenance ran in ${r.durationMs} ms: ${changed} change${changed === 1 ? "" : "s"}${r.errors.length ? `, ${r.errors.length} task(s) failed` : ""}.`,
      });
      return redirect("/settings");
    },
  }),
  route({
    // a plain form POST that answers with the file: the browser downloads it and stays on the page
    method: "POST", path: "/settings/backup", auth: "owner", page: true, name: "downloadBackupPage",
    handler: async (ctx) => {
      const snap = await snapshotDownload(ctx.app, actorOf(ctx), ctx.signal, ctx.requestId);
      return stream(snap.stream, "application/vnd.sqlite3", { "Content-Disposition": `attachment; filename="${snap.fileName}"`, "Content-Length": String(snap.bytes) });
    },
  }),
  route({
    method: "POST", path: "/settings/api-tokens", auth: "viewer", page: true, name: "createApiTokenPage",
    handler: async (ctx) => {
      const values = pick(await readForm(ctx), ["name", "expiresInSeconds"]);
      try {
        const body = CreateApiTokenBody.omit({ userId: true }).parse(values);
        const t = createApiToken(ctx.app, actorOf(ctx), ctx.admin!.userId, body, ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, {
          kind: "success", message: `API token "${t.name}" created. It acts with your role (${ctx.admin!.role}).`,
          secret: { label: "API token", value: t.rawToken, snippet: `curl -H "Authorization: Bearer ${t.rawToken}" ${ctx.app.config.publicUrl ?? ""}/api/admin/auth/me` },
        });
        return redirect("/settings");
      } catch (err) {
        const { errors, message } = fieldErrors(err);
        return settingsPage(ctx, { values, errors, message }, 422);
      }
    },
  }),
  route({
    method: "POST", path: "/settings/api-tokens/:tokenId/revoke", auth: "viewer", page: true, name: "revokeApiTokenPage",
    handler: (ctx) => {
      const id = idOf("apt").safeParse(ctx.params.tokenId);
      if (!id.success) throw new AppError("API_TOKEN_NOT_FOUND", "no such API token");
      revokeVisibleApiToken(ctx.app, ctx.admin!, id.data, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: "API token revoked." });
      return redirect("/settings");
    },
  }),
];
