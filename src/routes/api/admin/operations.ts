// /api/admin/maintenance/run, /backup, /metrics, /diagnostics: running the server itself.
import { route } from "../../../context.js";
import { snapshotDownload } from "../../../domain/backup.js";
import { triggerMaintenance } from "../../../domain/maintenance.js";
import { adminMetrics, diagnostics } from "../../../domain/metrics.js";
import { ok, stream } from "../../../http/reply.js";
import { parseBody } from "../../../schemas/common.js";
import { EmptyBody } from "../../../schemas/operations.js";

export const operationsRoutes = [
  route({
    method: "POST", path: "/api/admin/maintenance/run", auth: "operator", name: "runMaintenance",
    handler: async (ctx) => {
      parseBody(EmptyBody, await ctx.body());
      const result = await triggerMaintenance(ctx.app, { type: "USER", id: ctx.admin!.userId }, ctx.requestId);
      return ok(result);
    },
  }),
  route({
    method: "POST", path: "/api/admin/backup", auth: "owner", name: "createBackup",
    handler: async (ctx) => {
      parseBody(EmptyBody, await ctx.body());
      const snap = await snapshotDownload(ctx.app, { type: "USER", id: ctx.admin!.userId }, ctx.signal, ctx.requestId);
      return stream(snap.stream, "application/vnd.sqlite3", {
        "Content-Disposition": `attachment; filename="${snap.fileName}"`,
        "Content-Length": String(snap.bytes),
      });
    },
  }),
  route({
    method: "GET", path: "/api/admin/metrics", auth: "viewer", name: "getAdminMetrics",
    handler: async (ctx) => ok(await adminMetrics(ctx.app)),
  }),
  route({
    method: "GET", path: "/api/admin/diagnostics", auth: "viewer", name: "getDiagnostics",
    handler: async (ctx) => ok(await diagnostics(ctx.app)),
  }),
];
