// /audit: the audit trail with filters (all in the query string) and export links of the same filter.
import { route, type Ctx } from "../../context.js";
import { listAudit } from "../../domain/auditQueries.js";
import { AUDIT_QUERY_ARRAYS, ListAuditQuery } from "../../schemas/audit.js";
import { parseQuery } from "../../schemas/common.js";
import { auditRowView } from "../../console/auditView.js";
import { cleanQuery, filterValues, pager } from "../../console/lists.js";
import { page } from "../../console/view.js";

const FILTER_KEYS = ["q", "actorType", "action", "targetType", "targetId", "result", "from", "to"] as const;

/** datetime-local inputs send "2026-05-01T12:00" without a zone; the console labels them UTC. */
const asUtc = (v: string): string => (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(v) ? `${v.length === 16 ? `${v}:00` : v}Z` : v);

function auditQuery(ctx: Ctx<unknown>): URLSearchParams {
  const q = cleanQuery(ctx.query);
  for (const k of ["from", "to"]) if (q.has(k)) q.set(k, asUtc(q.get(k)!));
  return q;
}

export const auditPages = [
  route({
    method: "GET", path: "/audit", auth: "viewer", page: true, name: "listAuditPage", query: true,
    handler: (ctx) => {
      const query = auditQuery(ctx);
      const qy = parseQuery(query, ListAuditQuery, AUDIT_QUERY_ARRAYS);
      const { rows, total } = listAudit(ctx.app, qy, qy.sort, qy.page, qy.pageSize);
      const exportQuery = new URLSearchParams(query);
      for (const k of ["page", "pageSize"]) exportQuery.delete(k);
      const exportHref = (format: string) => `/api/admin/audit-events/export?${new URLSearchParams([...exportQuery, ["format", format]])}`;
      const filters = filterValues(query, FILTER_KEYS);
      return page(ctx, "audit/index", {
        rows: rows.map((r) => auditRowView(ctx.app, r)),
        pager: pager("/audit", query, qy.page, qy.pageSize, total),
        filters: { ...filters, from: filters.from!.replace(/:00(\.000)?Z$/, ""), to: filters.to!.replace(/:00(\.000)?Z$/, "") },
        exports: { csv: exportHref("csv"), json: exportHref("json"), ndjson: exportHref("ndjson") },
        filtered: [...query.keys()].some((k) => k !== "page"),
      }, { title: "Audit", nav: "audit", fragment: "audit/_rows" });
    },
  }),
];
