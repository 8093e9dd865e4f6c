// /services and /services/:id[/:tab]: list with filters and the detail tabs; release (operator).
import { route, type Ctx } from "../../context.js";
import { listServicesPage, releaseServiceById, serviceDetail } from "../../domain/services.js";
import { AppError } from "../../errors.js";
import { redirect, type Reply } from "../../http/reply.js";
import { idOf, parseQuery } from "../../schemas/common.js";
import { LIST_SERVICES_ARRAYS, ListServicesQuery } from "../../schemas/services.js";
import { setFlash } from "../../console/flash.js";
import { listPage } from "../../console/lists.js";
import { serviceRowView, serviceTabView, TABS, type Tab } from "../../console/serviceView.js";
import { page, roleFlags } from "../../console/view.js";

function serviceId(raw: string): string {
  const id = idOf("svc").safeParse(raw);
  if (!id.success) throw new AppError("CAPSULE_SERVICE_NOT_FOUND", "no such capsule service");
  return id.data;
}

async function showService(ctx: Ctx<unknown>, rawId: string, tab: Tab): Promise<Reply> {
  const d = await serviceDetail(ctx.app, serviceId(rawId));
  const model = await serviceTabView(ctx.app, d, tab, roleFlags(ctx).canOperate);
  return page(ctx, "services/show", model, { title: `${d.name} (${tab})`, nav: "services", fragment: "services/_tab" });
}

export const servicePages = [
  route({
    method: "GET", path: "/services", auth: "viewer", page: true, name: "listServicesPage", query: true,
    handler: async (ctx) => {
      const l = await listPage(ctx.query, {
        path: "/services", filterKeys: ["q", "status", "healthStatus", "agentId", "sort"],
        parse: (q) => parseQuery(q, ListServicesQuery, LIST_SERVICES_ARRAYS),
        list: (qy) => listServicesPage(ctx.app, qy, qy.sort, qy.page, qy.pageSize),
      });
      return page(ctx, "services/index", {
        rows: l.rows.map((s) => serviceRowView(ctx.app, s)), pager: l.pager, filters: l.filters, filtered: l.filtered,
      }, { title: "Services", nav: "services", fragment: "services/_rows" });
    },
  }),
  route({
    method: "GET", path: "/services/:serviceId", auth: "viewer", page: true, name: "showServicePage",
    handler: (ctx) => showService(ctx, ctx.params.serviceId, "overview"),
  }),
  route({
    method: "GET", path: "/services/:serviceId/:tab", auth: "viewer", page: true, name: "showServiceTabPage",
    handler: (ctx) => {
      const tab = TABS.find((t) => t === ctx.params.tab && t !== "overview");
      if (!tab) throw new AppError("NOT_FOUND", "no such page");
      return showService(ctx, ctx.params.serviceId, tab);
    },
  }),
  route({
    method: "POST", path: "/services/:serviceId/release", auth: "operator", page: true, name: "releaseServicePage",
    handler: async (ctx) => {
      const s = await releaseServiceById(ctx.app, { type: "USER", id: ctx.admin!.userId }, serviceId(ctx.params.serviceId), ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Service code ${s.code} released: another agent may now report it.` });
      return redirect(`/services/${encodeURIComponent(s.id)}`);
    },
  }),
];
