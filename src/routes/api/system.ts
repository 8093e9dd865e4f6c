// /api/system/*, /healthz, /readyz: public probes.
import { route } from "../../context.js";
import { ok, text } from "../../http/reply.js";
import { systemHealth, systemVersion, isReady } from "../../domain/system.js";
import { AppError } from "../../errors.js";

export const systemRoutes = [
  route({
    method: "GET", path: "/api/system/health", auth: "public", name: "getSystemHealth",
    handler: async ({ app }) => {
      const health = await systemHealth(app);
      return { kind: "json", status: health.status === "DOWN" ? 503 : 200, body: { success: true, data: health } };
    },
  }),
  route({ method: "GET", path: "/api/system/version", auth: "public", name: "getSystemVersion", handler: ({ app }) => ok(systemVersion(app)) }),
  route({ method: "GET", path: "/healthz", auth: "public", name: "liveness", handler: () => text("ok\n") }),
  route({
    method: "GET", path: "/readyz", auth: "public", name: "readiness",
    handler: async ({ app }) => {
      if (!(await isReady(app))) throw new AppError("SERVICE_UNAVAILABLE", "database not ready");
      return text("ready\n");
    },
  }),
];
