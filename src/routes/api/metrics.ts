// GET /metrics: Prometheus text. CAPSTAN_METRICS=off hides it (404), public serves it to anyone,
// token requires a personal API token (any role) so scrapers need no session.
import { route } from "../../context.js";
import { bearerToken, identifyAdmin } from "../../auth/identify.js";
import { AppError } from "../../errors.js";
import { text } from "../../http/reply.js";
import { renderMetrics } from "../../metrics/prometheus.js";

export const metricsRoutes = [
  route({
    method: "GET", path: "/metrics", auth: "public", name: "getPrometheusMetrics",
    handler: async (ctx) => {
      const mode = ctx.app.config.metrics;
      if (mode === "off") throw new AppError("NOT_FOUND", "no such route");
      if (mode === "token") {
        const token = bearerToken(ctx);
        if (!token?.startsWith("capstan_pat_")) throw new AppError("UNAUTHORIZED", "send an API token as Authorization: Bearer capstan_pat_...");
        await identifyAdmin(ctx); // throws UNAUTHORIZED for an unknown, expired or revoked token
      }
      const { body, contentType } = await renderMetrics(ctx.app);
      return text(body, contentType);
    },
  }),
];
