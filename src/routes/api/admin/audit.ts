// /api/admin/audit-events: list, detail, streamed export.
import { route } from "../../../context.js";
import { exportAudit, getAudit, listAudit } from "../../../domain/auditQueries.js";
import { AppError } from "../../../errors.js";
import { ok, okList, stream } from "../../../http/reply.js";
import { AUDIT_QUERY_ARRAYS, ExportAuditQuery, ListAuditQuery } from "../../../schemas/audit.js";
import { idOf, parseQuery } from "../../../schemas/common.js";

const CONTENT_TYPES = { csv: "text/csv; charset=utf-8", json: "application/json; charset=utf-8", ndjson: "application/x-ndjson; charset=utf-8" };

export const auditRoutes = [
  route({
    method: "GET", path: "/api/admin/audit-events", auth: "viewer", name: "listAuditEvents", query: true,
    handler: async ({ app, query }) => {
      const qy = parseQuery(query, ListAuditQuery, AUDIT_QUERY_ARRAYS);
      const { rows, total, totalCapped } = await listAudit(app, qy, qy.sort, qy.page, qy.pageSize);
      // a search stops counting at SEARCH_COUNT_CAP: total is then a lower bound, said by totalCapped
      return okList(rows, { page: qy.page, pageSize: qy.pageSize, total, ...(totalCapped ? { totalCapped } : {}) });
    },
  }),
  // registered before /:auditEventId so "export" is never read as an id
  route({
    method: "GET", path: "/api/admin/audit-events/export", auth: "viewer", name: "exportAuditEvents", query: true,
    handler: ({ app, query }) => {
      const qy = parseQuery(query, ExportAuditQuery, AUDIT_QUERY_ARRAYS);
      const { format, sort, ...filter } = qy;
      const stamp = app.now().toISOString().replace(/[:.]/g, "-");
      const rows = exportAudit(app, filter, sort, format);
      return stream(rows, CONTENT_TYPES[format], { "Content-Disposition": `attachment; filename="capstan-audit-${stamp}.${format}"` });
    },
  }),
  route({
    method: "GET", path: "/api/admin/audit-events/:auditEventId", auth: "viewer", name: "getAuditEvent",
    handler: async ({ app, params }) => {
      const id = idOf("aud").safeParse(params.auditEventId);
      if (!id.success) throw new AppError("AUDIT_EVENT_NOT_FOUND", "no such audit event");
      return ok(await getAudit(app, id.data));
    },
  }),
];
