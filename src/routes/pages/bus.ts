// /bus/*: Capsule Bus route rules (list, create, edit, status, delete, test against a sample event)
// and received events with what they caused. Hidden (404) while the bus is off.
import { route, type Ctx } from "../../context.js";
import { busEventDetail, causedCommands, listBusEventsPage } from "../../domain/bus/events.js";
import { previewRoute } from "../../domain/bus/match.js";
import {
  BUS_ROUTE_STATUSES, busRouteToWire, changeBusRoute, createBusRoute, listBusRoutesPage, removeBusRoute, requireBusRoute,
} from "../../domain/bus/routes.js";
import { AppError } from "../../errors.js";
import { redirect, type Reply } from "../../http/reply.js";
import {
  CreateBusRouteBody, LIST_BUS_EVENTS_ARRAYS, LIST_BUS_ROUTES_ARRAYS, ListBusEventsQuery, ListBusRoutesQuery, PreviewBusRouteBody, UpdateBusRouteBody,
} from "../../schemas/bus.js";
import { idOf, parseQuery } from "../../schemas/common.js";
import {
  createBody, eventDetailView, eventRowsView, formErrors, formValues, patchBody, previewBody, previewView, routeFormValues, routeFormView, routeHref,
  routeRowView, type RouteFormState,
} from "../../console/busView.js";
import { setFlash } from "../../console/flash.js";
import { blankForm, fieldErrors, readForm, submitForm } from "../../console/forms.js";
import { listPage } from "../../console/lists.js";
import { fragment, isHtmx, page } from "../../console/view.js";

const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

function routeIdOf(raw: string): string {
  const id = idOf("brr").safeParse(raw);
  if (!id.success) throw new AppError("BUS_ROUTE_NOT_FOUND", "no such bus route");
  return id.data;
}

/** The form page: new (no routeId) or edit, optionally with errors or a preview to show. */
async function formPage(ctx: Ctx<unknown>, routeId: string | null, form: RouteFormState, status = 200): Promise<Reply> {
  const r = routeId ? await busRouteToWire(ctx.app, await requireBusRoute(ctx.app, routeId)) : null;
  return page(ctx, "bus/routes/form", routeFormView(ctx.app, r, form), { title: r ? `Bus route ${r.name}` : "New bus route", nav: "bus", status });
}

/** Runs a write; 422s come back as the form with messages, anything else goes to the error page. */
async function submit(ctx: Ctx<unknown>, routeId: string | null, write: (v: Record<string, string>) => Promise<string>): Promise<Reply> {
  const values = formValues(await readForm(ctx));
  // the write is awaited inside submitForm's try: a refused write re-renders the form (422), not a 500
  return submitForm(values, async () => redirect(routeHref(await write(values))), (form, status) => formPage(ctx, routeId, form, status), {
    adjust: (err, form) => {
      if (err instanceof AppError && err.code === "BUS_ROUTE_CONFIRMATION_REQUIRED") form.errors.confirmed = "tick this to allow the route to run this action";
      return form;
    },
  });
}

export const busPages = [
  route({
    method: "GET", path: "/bus/routes", auth: "viewer", feature: "bus", page: true, name: "listBusRoutesPage", query: true,
    handler: async (ctx) => {
      const l = await listPage(ctx.query, {
        path: "/bus/routes", filterKeys: ["status", "q"],
        parse: (q) => parseQuery(q, ListBusRoutesQuery, LIST_BUS_ROUTES_ARRAYS),
        list: (qy) => listBusRoutesPage(ctx.app, qy, qy.sort, qy.page, qy.pageSize),
      });
      return page(ctx, "bus/routes/index", {
        rows: l.rows.map((r) => routeRowView(ctx.app, r)), pager: l.pager, filters: l.filters, filtered: l.filtered, statuses: BUS_ROUTE_STATUSES,
      }, { title: "Bus routes", nav: "bus", fragment: "bus/routes/_rows" });
    },
  }),
  route({
    method: "GET", path: "/bus/routes/new", auth: "operator", feature: "bus", page: true, name: "newBusRoutePage",
    handler: (ctx) => {
      return formPage(ctx, null, blankForm({ status: "DISABLED" }));
    },
  }),
  route({
    method: "POST", path: "/bus/routes", auth: "operator", feature: "bus", page: true, name: "createBusRoutePage",
    handler: (ctx) => submit(ctx, null, async (v) => {
      const r = await createBusRoute(ctx.app, actorOf(ctx), CreateBusRouteBody.parse(createBody(v)), ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Route "${r.name}" created (${r.status}).` });
      return r.id;
    }),
  }),
  route({
    method: "POST", path: "/bus/routes/preview", auth: "operator", feature: "bus", page: true, name: "previewBusRoutePage",
    handler: async (ctx) => {
      const form = await readForm(ctx);
      const values = formValues(form);
      const routeId = typeof form.routeId === "string" && form.routeId ? routeIdOf(form.routeId) : null;
      let state: RouteFormState = blankForm(values);
      try {
        state.preview = previewView(await previewRoute(ctx.app, PreviewBusRouteBody.parse(previewBody(values))));
      } catch (err) {
        const { errors, message } = fieldErrors(err);
        state = { ...state, errors, previewError: `${message} ${Object.entries(formErrors(errors)).map(([k, m]) => `${k}: ${m}`).join("; ")}`.trim() };
      }
      // the preview is an answer, not a failed submission: 200 either way
      if (isHtmx(ctx)) return fragment("bus/routes/_preview", { form: { preview: null, previewError: null, ...state } });
      return formPage(ctx, routeId, state);
    },
  }),
  route({
    method: "GET", path: "/bus/routes/:routeId", auth: "viewer", feature: "bus", page: true, name: "showBusRoutePage",
    handler: async (ctx) => {
      const id = routeIdOf(ctx.params.routeId);
      return formPage(ctx, id, blankForm(routeFormValues(await busRouteToWire(ctx.app, await requireBusRoute(ctx.app, id)))));
    },
  }),
  route({
    method: "POST", path: "/bus/routes/:routeId", auth: "operator", feature: "bus", page: true, name: "updateBusRoutePage",
    handler: (ctx) => {
      const id = routeIdOf(ctx.params.routeId);
      return submit(ctx, id, async (v) => {
        const r = await changeBusRoute(ctx.app, actorOf(ctx), id, UpdateBusRouteBody.parse(patchBody(v)), ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Route "${r.name}" saved (${r.status}).` });
        return r.id;
      });
    },
  }),
  route({
    method: "POST", path: "/bus/routes/:routeId/status", auth: "operator", feature: "bus", page: true, name: "setBusRouteStatusPage",
    handler: async (ctx) => {
      const id = routeIdOf(ctx.params.routeId);
      const form = await readForm(ctx);
      const status = UpdateBusRouteBody.parse({ status: form.status }).status!;
      try {
        const r = await changeBusRoute(ctx.app, actorOf(ctx), id, { status }, ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Route "${r.name}" is now ${r.status}.` });
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== "BUS_ROUTE_CONFIRMATION_REQUIRED") throw err;
        setFlash(ctx.app, ctx.admin!.sessionId, { kind: "error", message: `${err.message}. Tick the confirmation in the form below and save with status ENABLED.` });
        return redirect(routeHref(id));
      }
      return redirect(typeof form.back === "string" && form.back === "list" ? "/bus/routes" : routeHref(id));
    },
  }),
  route({
    method: "POST", path: "/bus/routes/:routeId/delete", auth: "operator", feature: "bus", page: true, name: "deleteBusRoutePage",
    handler: async (ctx) => {
      const id = routeIdOf(ctx.params.routeId);
      const name = (await requireBusRoute(ctx.app, id)).name;
      await removeBusRoute(ctx.app, actorOf(ctx), id, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Route "${name}" deleted.` });
      return redirect("/bus/routes");
    },
  }),
  route({
    method: "GET", path: "/bus/events", auth: "viewer", feature: "bus", page: true, name: "listBusEventsPage", query: true,
    handler: async (ctx) => {
      const l = await listPage(ctx.query, {
        path: "/bus/events", filterKeys: ["eventType", "source", "outcome"],
        parse: (q) => parseQuery(q, ListBusEventsQuery, LIST_BUS_EVENTS_ARRAYS),
        list: (qy) => listBusEventsPage(ctx.app, qy, qy.sort, qy.page, qy.pageSize),
      });
      const commands: Awaited<ReturnType<typeof causedCommands>>[] = [];
      for (const e of l.rows) commands.push(await causedCommands(ctx.app, e.commandIds));
      return page(ctx, "bus/events/index", {
        ...eventRowsView(ctx.app, l.rows, commands),
        selfHref: `/bus/events${l.query.size ? `?${l.query}` : ""}`, pager: l.pager, filters: l.filters, filtered: l.filtered,
      }, { title: "Bus events", nav: "bus", fragment: "bus/events/_rows" });
    },
  }),
  route({
    method: "GET", path: "/bus/events/:eventId", auth: "viewer", feature: "bus", page: true, name: "showBusEventPage",
    handler: async (ctx) => {
      const id = idOf("bev").safeParse(ctx.params.eventId);
      if (!id.success) throw new AppError("NOT_FOUND", "no such bus event");
      const e = await busEventDetail(ctx.app, id.data);
      return page(ctx, "bus/events/show", { event: eventDetailView(ctx.app, e, e.commands) }, { title: `Bus event ${e.eventType}`, nav: "bus" });
    },
  }),
];
