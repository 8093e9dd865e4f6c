// Audit rows as the console shows them (audit page, dashboard, detail pages): one view model. Actors
// are named (username, agent code, "system") from one batched lookup per page; the id is on hover.
import type { App } from "../context.js";
import { listAudit } from "../domain/auditQueries.js";
import { badge, prettyJson, when } from "./format.js";
import { actorRefs, actorView, lookupNames, type Names } from "./names.js";

type WireAudit = Awaited<ReturnType<typeof listAudit>>["rows"][number];
type AuditFilter = Parameters<typeof listAudit>[1];

const TARGET_PAGES: Record<string, string> = { Agent: "/agents/", CapsuleService: "/services/", Command: "/commands/", Approval: "/approvals/" };

export const targetHref = (type: string | null, id: string | null): string | null =>
  type && id && Object.hasOwn(TARGET_PAGES, type) ? TARGET_PAGES[type] + encodeURIComponent(id) : null;

export function auditRowView(app: App, r: WireAudit, names: Names) {
  const meta = r.metadata && Object.keys(r.metadata).length ? prettyJson(r.metadata) : null;
  return {
    id: r.id,
    at: when(r.createdAt, app.now()),
    actor: actorView(r.actorType, r.actorId, names),
    action: r.action,
    target: r.targetType ? `${r.targetType}${r.targetId ? ` ${r.targetId}` : ""}` : "",
    targetHref: targetHref(r.targetType, r.targetId),
    result: badge(r.result),
    message: r.message ?? "",
    metadata: meta,
  };
}

export type AuditRowView = ReturnType<typeof auditRowView>;

/** A page of audit rows, their actors' names fetched in one batch. */
export async function auditRowsView(app: App, rows: readonly WireAudit[]): Promise<AuditRowView[]> {
  const names = await lookupNames(app, actorRefs(rows));
  return rows.map((r) => auditRowView(app, r, names));
}

/** The latest events about one target (detail pages). */
export async function recentAuditFor(app: App, filter: AuditFilter, limit = 10): Promise<AuditRowView[]> {
  return auditRowsView(app, (await listAudit(app, filter, [{ field: "createdAt", desc: true }], 1, limit)).rows);
}

/** Export links of the audit page: the same filter, every row (no page, no pageSize). */
export function auditExportLinks(query: URLSearchParams) {
  const exportQuery = new URLSearchParams(query);
  for (const k of ["page", "pageSize"]) exportQuery.delete(k);
  const href = (format: string) => `/api/admin/audit-events/export?${new URLSearchParams([...exportQuery, ["format", format]])}`;
  return { csv: href("csv"), json: href("json"), ndjson: href("ndjson") };
}
