// /audit: the audit trail with filters (all in the query string) and export links of the same filter.
import { route } from "../../context.js";
import { listAudit } from "../../domain/auditQueries.js";
import { AUDIT_QUERY_ARRAYS, ListAuditQuery } from "../../schemas/audit.js";
import { parseQuery } from "../../schemas/common.js";
import { auditExportLinks, auditRowsView } from "../../console/auditView.js";
import { listPage } from "../../console/lists.js";
import { page } from "../../console/view.js";

export const auditPages = [
  route({
    method: "GET", path: "/audit", auth: "viewer", page: true, name: "listAuditPage", query: true,
    handler: async (ctx) => {
      const l = await listPage(ctx.query, {
        path: "/audit", filterKeys: ["q", "actorType", "action", "targetType", "targetId", "result", "from", "to"], timeKeys: ["from", "to"],
        parse: (q) => parseQuery(q, ListAuditQuery, AUDIT_QUERY_ARRAYS),
        list: (qy) => listAudit(ctx.app, qy, qy.sort, qy.page, qy.pageSize),
      });
      return page(ctx, "audit/index", {
        rows: await auditRowsView(ctx.app, l.rows), pager: l.pager, filters: l.filters, exports: auditExportLinks(l.query), filtered: l.filtered,
      }, { title: "Audit", nav: "audit", fragment: "audit/_rows" });
    },
  }),
];
