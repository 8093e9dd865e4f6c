// /api/admin/maintenance/run, /backup, /metrics, /diagnostics, /settings/maintenance: running the server itself.
import { route, type Ctx } from "../../../context.js";
import { maintenanceSettings, updateMaintenanceSettings } from "../../../domain/maintenanceSettings.js";
import { snapshotDownload } from "../../../domain/backup.js";
import { triggerMaintenance } from "../../../domain/maintenance.js";
import { adminMetrics, diagnostics, runtimeDiagnostics } from "../../../domain/metrics.js";
import { ok, stream } from "../../../http/reply.js";
import { parseBody, parseQuery } from "../../../schemas/common.js";
import { EmptyBody, MaintenanceSettingsBody } from "../../../schemas/operations.js";

const backup = (contentType: string) => async (ctx: Ctx) => {
  parseBody(EmptyBody, await ctx.body());
  const snap = await snapshotDownload(ctx.app, { type: "USER", id: ctx.admin!.userId }, ctx.signal, ctx.requestId);
  return stream(snap.stream, contentType, {
    "Content-Disposition": `attachment; filename="${snap.fileName}"`,
    "Content-Length": String(snap.bytes),
  });
};

export const operationsRoutes = [
  route({
    method: "POST", path: "/api/admin/maintenance/run", auth: "operator", name: "runMaintenance",
    handler: async (ctx) => {
      parseBody(EmptyBody, await ctx.body());
      const result = await triggerMaintenance(ctx.app, { type: "USER", id: ctx.admin!.userId }, ctx.requestId);
      return ok(result);
    },
  }),
  route({ method: "POST", path: "/api/admin/backup", auth: "owner", name: "createBackup", handler: backup("application/vnd.sqlite3") }),
  // Opstage v0.4's name for the same download (PostgreSQL: 409 BACKUP_NOT_AVAILABLE, use pg_dump)
  route({ method: "POST", path: "/api/admin/backup/sqlite", auth: "owner", name: "createSqliteBackup", handler: backup("application/octet-stream") }),
  route({
    method: "GET", path: "/api/admin/metrics", auth: "viewer", name: "getAdminMetrics",
    handler: async (ctx) => ok(await adminMetrics(ctx.app)),
  }),
  route({
    method: "GET", path: "/api/admin/diagnostics", auth: "viewer", name: "getDiagnostics",
    handler: async (ctx) => ok(await diagnostics(ctx.app)),
  }),
  // Opstage v0.4's runtime summary (operator and up: it names hosts and paths)
  route({
    method: "GET", path: "/api/admin/diagnostics/runtime", auth: "operator", name: "getRuntimeDiagnostics", query: true,
    handler: ({ app, query }) => {
      parseQuery(query, {});
      return ok(runtimeDiagnostics(app));
    },
  }),
  // Opstage v0.4: the maintenance settings an owner may change at run time
  route({
    method: "GET", path: "/api/admin/settings/maintenance", auth: "viewer", name: "getMaintenanceSettings", query: true,
    handler: ({ app, query }) => {
      parseQuery(query, {});
      return ok(maintenanceSettings(app));
    },
  }),
  route({
    method: "PATCH", path: "/api/admin/settings/maintenance", auth: "owner", name: "updateMaintenanceSettings",
    handler: async (ctx) => {
      const patch = parseBody(MaintenanceSettingsBody, await ctx.body());
      return ok(await updateMaintenanceSettings(ctx.app, { type: "USER", id: ctx.admin!.userId }, patch, ctx.requestId));
    },
  }),
];
