// The dashboard: counts by effective status, recent activity, and a 24 h series for the chart.
// Shared by GET /api/admin/dashboard/summary and the console's dashboard page.
import type { App } from "../context.js";
import { countAuditEvents, recentAuditEvents } from "../db/audit.js";
import { firstUserCreatedAt } from "../db/users.js";
import { activeAgentsByHour, commandOutcomesByHour } from "../db/dashboard.js";
import { pendingApprovalCount } from "./approvals/queries.js";
import { auditToWire } from "./audit.js";
import { listCommandsWire } from "./commands/queries.js";
import { statusCounts } from "./metrics.js";
import { packageAttention } from "./packages/attention.js";

const RECENT = 10;
const NEWEST_FIRST = [{ field: "createdAt", desc: true }];

export async function dashboardSummary(app: App) {
  const counts = await statusCounts(app);
  const recentCommands = (await listCommandsWire(app, { type: ["ACTION_EXECUTE"] }, NEWEST_FIRST, 1, RECENT)).data;
  const recentAudit = (await recentAuditEvents(app.db, RECENT)).map(auditToWire);
  // ours: approval requests waiting for a reviewer ("needs attention")
  const pendingApprovals = await pendingApprovalCount(app);
  // ours: services running an incompatible, deprecated or yanked package version ("needs attention")
  const packageAttentionRows = await packageAttention(app);
  return {
    agentCounts: counts.agents, serviceCounts: counts.capsuleServices, commandCounts: counts.commands, recentCommands, recentAuditEvents: recentAudit, pendingApprovals,
    packageAttention: packageAttentionRows,
    // the upstream (Opstage v0.4) console's dashboard reads these two (it goes blank without workspace.name)
    workspace: await workspace(app), auditEventCount: await countAuditEvents(app.db),
  };
}

/**
 * Capstan has one workspace and no table for it; this is the upstream's default one, dated from the
 * first account (the installation's start).
 */
export async function workspace(app: App) {
  const at = await firstUserCreatedAt(app.db) ?? app.runtime.startedAt.toISOString();
  return { id: "wks_default", code: "default", name: "Default Workspace", status: "ACTIVE", createdAt: at, updatedAt: at };
}

export interface HourPoint {
  /** ISO hour, e.g. 2026-05-01T12 */
  hour: string;
  succeeded: number;
  failed: number;
  agents: number;
}

/** 24 hourly buckets ending with the current hour; missing hours are zero. */
export async function last24Hours(app: App): Promise<HourPoint[]> {
  const now = app.now();
  const end = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
  const start = new Date(end.getTime() - 23 * 3_600_000);
  const points = new Map<string, HourPoint>();
  for (let i = 0; i < 24; i++) {
    const hour = new Date(start.getTime() + i * 3_600_000).toISOString().slice(0, 13);
    points.set(hour, { hour, succeeded: 0, failed: 0, agents: 0 });
  }
  for (const r of await commandOutcomesByHour(app.db, start.toISOString())) {
    const p = points.get(r.hour);
    if (!p) continue;
    if (r.status === "SUCCEEDED") p.succeeded += r.n;
    else if (r.status !== "CANCELLED") p.failed += r.n; // FAILED and EXPIRED are both failures to the operator
  }
  for (const r of await activeAgentsByHour(app.db, start.toISOString())) {
    const p = points.get(r.hour);
    if (p) p.agents = r.n;
  }
  return [...points.values()];
}
