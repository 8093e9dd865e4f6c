// /services and /services/:id[/:tab]: list with filters and the detail tabs; release (operator).
import { route, type Ctx } from "../../context.js";
import { listCommandsWire } from "../../domain/commands/queries.js";
import { listServicesPage, releaseServiceById, serviceDetail } from "../../domain/services.js";
import { AppError } from "../../errors.js";
import { redirect, type Reply } from "../../http/reply.js";
import { idOf, parseQuery } from "../../schemas/common.js";
import { LIST_SERVICES_ARRAYS, ListServicesQuery } from "../../schemas/services.js";
import { recentAuditFor } from "../../console/auditView.js";
import { commandRowView } from "../../console/commandView.js";
import { setFlash } from "../../console/flash.js";
import { prettyJson } from "../../console/format.js";
import { cleanQuery, filterValues, pager } from "../../console/lists.js";
import { namesFor } from "../../console/names.js";
import { actionViews, configViews, healthView, serviceHeaderView, serviceRowView, TABS, type Tab } from "../../console/serviceView.js";
import { page, roleFlags } from "../../console/view.js";

function serviceId(raw: string): string {
  const id = idOf("svc").safeParse(raw);
  if (!id.success) throw new AppError("CAPSULE_SERVICE_NOT_FOUND", "no such capsule service");
  return id.data;
}

function showService(ctx: Ctx<unknown>, rawId: string, tab: Tab): Reply {
  const { app } = ctx;
  const d = serviceDetail(app, serviceId(rawId));
  const flags = roleFlags(ctx);
  const model: Record<string, unknown> = { service: serviceHeaderView(app, d, tab), tab };
  if (tab === "overview") Object.assign(model, { health: healthView(app, d), actions: actionViews(d, flags.canOperate) });
  if (tab === "manifest") model.manifest = prettyJson(d.manifest);
  if (tab === "health") model.health = healthView(app, d);
  if (tab === "configs") model.configs = configViews(d);
  if (tab === "actions") model.actions = actionViews(d, flags.canOperate);
  if (tab === "commands") {
    const names = namesFor(app);
    model.commands = listCommandsWire(app, { serviceId: [d.id] }, [{ field: "createdAt", desc: true }], 1, 25).data.map((c) => commandRowView(app, c, names));
  }
  if (tab === "audit") model.audit = recentAuditFor(app, { targetId: [d.id] }, 50);
  return page(ctx, "services/show", model, { title: `${d.name} (${tab})`, nav: "services", fragment: "services/_tab" });
}

export const servicePages = [
  route({
    method: "GET", path: "/services", auth: "viewer", page: true, name: "listServicesPage", query: true,
    handler: (ctx) => {
      const query = cleanQuery(ctx.query);
      const qy = parseQuery(query, ListServicesQuery, LIST_SERVICES_ARRAYS);
      const { rows, pagination } = listServicesPage(ctx.app, qy, qy.sort, qy.page, qy.pageSize);
      return page(ctx, "services/index", {
        rows: rows.map((s) => serviceRowView(ctx.app, s)),
        pager: pager("/services", query, qy.page, qy.pageSize, pagination.total),
        filters: filterValues(query, ["q", "status", "healthStatus", "agentId", "sort"]),
        filtered: [...query.keys()].some((k) => k !== "page"),
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
    handler: (ctx) => {
      const s = releaseServiceById(ctx.app, { type: "USER", id: ctx.admin!.userId }, serviceId(ctx.params.serviceId), ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Service code ${s.code} released: another agent may now report it.` });
      return redirect(`/services/${encodeURIComponent(s.id)}`);
    },
  }),
];
