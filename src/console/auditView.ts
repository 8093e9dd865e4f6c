// Audit rows as the console shows them (audit page, dashboard, detail pages): one view model.
import type { App } from "../context.js";
import { listAudit } from "../domain/auditQueries.js";
import type { AuditFilter } from "../db/audit.js";
import { badge, prettyJson, when } from "./format.js";

type WireAudit = ReturnType<typeof listAudit>["rows"][number];

const TARGET_PAGES: Record<string, string> = { Agent: "/agents/", CapsuleService: "/services/", Command: "/commands/" };

export const targetHref = (type: string | null, id: string | null): string | null =>
  type && id && Object.hasOwn(TARGET_PAGES, type) ? TARGET_PAGES[type] + encodeURIComponent(id) : null;

export function auditRowView(app: App, r: WireAudit) {
  const meta = r.metadata && Object.keys(r.metadata).length ? prettyJson(r.metadata) : null;
  return {
    id: r.id,
    at: when(r.createdAt, app.now()),
    actor: `${r.actorType}${r.actorId ? ` ${r.actorId}` : ""}`,
    action: r.action,
    target: r.targetType ? `${r.targetType}${r.targetId ? ` ${r.targetId}` : ""}` : "",
    targetHref: targetHref(r.targetType, r.targetId),
    result: badge(r.result),
    message: r.message ?? "",
    metadata: meta,
  };
}

export type AuditRowView = ReturnType<typeof auditRowView>;

/** The latest events about one target (detail pages). */
export function recentAuditFor(app: App, filter: AuditFilter, limit = 10): AuditRowView[] {
  return listAudit(app, filter, [{ field: "createdAt", desc: true }], 1, limit).rows.map((r) => auditRowView(app, r));
}
