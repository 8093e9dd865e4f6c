// The dashboard as the console shows it: counts by status, services needing attention, recent
// commands and audit (with who acted), and the 24 h chart.
import type { App } from "../context.js";
import { dashboardSummary, last24Hours } from "../domain/dashboard.js";
import { listApprovalsWire } from "../domain/approvals/queries.js";
import { listServicesPage } from "../domain/services.js";
import { approvalRowView } from "./approvalView.js";
import { endpointsNeedingAttention } from "../domain/notifications/endpoints.js";
import { auditRowsView } from "./auditView.js";
import { chartView } from "./chart.js";
import { commandRowsView } from "./commandView.js";
import { attentionView } from "./notificationView.js";
import { badge } from "./format.js";
import { serviceRowView } from "./serviceView.js";

const counts = (c: Record<string, number>) => Object.entries(c).map(([status, n]) => ({ status: badge(status), n }));
const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);

export async function dashboardView(app: App) {
  const s = await dashboardSummary(app);
  const approvals = await listApprovalsWire(app, { status: ["PENDING"] }, [{ field: "createdAt", desc: false }], 1, 5);
  const attention = await listServicesPage(app, { status: ["UNHEALTHY", "STALE", "OFFLINE", "QUARANTINED"] }, [{ field: "name", desc: false }], 1, 10);
  return {
    agents: { total: total(s.agentCounts), byStatus: counts(s.agentCounts) },
    services: { total: total(s.serviceCounts), byStatus: counts(s.serviceCounts) },
    attention: { rows: attention.rows.map((r) => serviceRowView(app, r)), more: attention.pagination.total - attention.rows.length },
    // pending approval requests, oldest first: they expire
    approvals: { rows: approvals.data.map((a) => approvalRowView(app, a)), more: approvals.pagination.total - approvals.data.length },
    failingEndpoints: attentionView(app, await endpointsNeedingAttention(app)),
    packages: s.packageAttention.map((p) => ({
      href: `/services/${encodeURIComponent(p.serviceId)}`, name: p.serviceName, pkg: `${p.packageName}@${p.version ?? "?"}`, flags: p.flags.map(badge),
    })),
    commands: await commandRowsView(app, s.recentCommands),
    audit: await auditRowsView(app, s.recentAuditEvents),
    chart: chartView(await last24Hours(app)),
  };
}
