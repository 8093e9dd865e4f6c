// / : the dashboard — counts by effective status, services needing attention, recent commands and
// audit, the 24 h chart. Refreshes itself every 10 s through htmx (the _body fragment).
import { route } from "../../context.js";
import { dashboardSummary, last24Hours } from "../../domain/dashboard.js";
import { listServicesPage } from "../../domain/services.js";
import { auditRowView } from "../../console/auditView.js";
import { chartView } from "../../console/chart.js";
import { commandRowView } from "../../console/commandView.js";
import { badge } from "../../console/format.js";
import { namesFor } from "../../console/names.js";
import { serviceRowView } from "../../console/serviceView.js";
import { page } from "../../console/view.js";

const counts = (c: Record<string, number>) => Object.entries(c).map(([status, n]) => ({ status: badge(status), n }));

export const dashboardPages = [
  route({
    method: "GET", path: "/", auth: "viewer", page: true, name: "showDashboard",
    handler: (ctx) => {
      const { app } = ctx;
      const s = dashboardSummary(app);
      const names = namesFor(app);
      const attention = listServicesPage(app, { status: ["UNHEALTHY", "STALE", "OFFLINE"] }, [{ field: "name", desc: false }], 1, 10);
      const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
      return page(ctx, "dashboard/index", {
        agents: { total: total(s.agentCounts), byStatus: counts(s.agentCounts) },
        services: { total: total(s.serviceCounts), byStatus: counts(s.serviceCounts) },
        attention: { rows: attention.rows.map((r) => serviceRowView(app, r)), more: attention.pagination.total - attention.rows.length },
        commands: s.recentCommands.map((c) => commandRowView(app, c, names)),
        audit: s.recentAuditEvents.map((a) => auditRowView(app, a)),
        chart: chartView(last24Hours(app)),
      }, { title: "Dashboard", nav: "dashboard", fragment: "dashboard/_body" });
    },
  }),
];
