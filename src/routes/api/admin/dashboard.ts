// /api/admin/dashboard/summary
import { route } from "../../../context.js";
import { dashboardSummary, last24Hours } from "../../../domain/dashboard.js";
import { ok } from "../../../http/reply.js";
import { parseQuery } from "../../../schemas/common.js";

export const dashboardRoutes = [
  route({
    method: "GET", path: "/api/admin/dashboard/summary", auth: "viewer", name: "getDashboardSummary", query: true,
    handler: async ({ app, query }) => {
      parseQuery(query, {});
      return ok({ ...await dashboardSummary(app), last24Hours: await last24Hours(app) });
    },
  }),
];
