// /api/admin/maintenance/run, /backup, /metrics, /diagnostics: running the server itself.
import { createReadStream, rmSync } from "node:fs";
import { route } from "../../../context.js";
import { createSnapshot } from "../../../domain/backup.js";
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
      const snap = await createSnapshot(ctx.app, { type: "USER", id: ctx.admin!.userId }, ctx.requestId);
      // The snapshot is a download, not a kept backup: unlinked as soon as it is open (the descriptor
      // keeps it readable), so neither a finished nor an abandoned download leaves a file behind.
      const file = createReadStream(snap.path);
      const remove = () => rmSync(snap.path, { force: true });
      file.once("open", remove).once("close", remove);
      if (ctx.signal.aborted) file.destroy();
      else ctx.signal.addEventListener("abort", () => file.destroy(), { once: true });
      return stream(file, "application/vnd.sqlite3", {
        "Content-Disposition": `attachment; filename="${snap.fileName}"`,
        "Content-Length": String(snap.bytes),
      });
    },
  }),
  route({
    method: "GET", path: "/api/admin/metrics", auth: "viewer", name: "getAdminMetrics", query: true,
    handler: (ctx) => ok(adminMetrics(ctx.app)),
  }),
  route({
    method: "GET", path: "/api/admin/diagnostics", auth: "viewer", name: "getDiagnostics", query: true,
    handler: (ctx) => ok(diagnostics(ctx.app)),
  }),
];
