// /bus/*: Capsule Bus route rules (list, create, edit, status, delete, test against a sample event)
// and received events with what they caused. Hidden (404) while the bus is off.
import { route, type Ctx } from "../../context.js";
import { requireBusVisible } from "../../domain/bus/enabled.js";
import { busEventDetail, causedCommands, listBusEventsPage } from "../../domain/bus/events.js";
import { previewRoute } from "../../domain/bus/match.js";
import { busRouteToWire, changeBusRoute, createBusRoute, listBusRoutesPage, removeBusRoute, requireBusRoute } from "../../domain/bus/routes.js";
import { AppError } from "../../errors.js";
import { redirect, type Reply } from "../../http/reply.js";
import { BUS_ROUTE_STATUSES } from "../../vocabulary.js";
import {
  CreateBusRouteBody, LIST_BUS_EVENTS_ARRAYS, LIST_BUS_ROUTES_ARRAYS, ListBusEventsQuery, ListBusRoutesQuery, PreviewBusRouteBody, UpdateBusRouteBody,
} from "../../schemas/bus.js";
import { idOf, parseQuery } from "../../schemas/common.js";
import {
  anyCommandLive, createBody, eventDetailView, eventRowView, formErrors, formValues, patchBody, previewBody, previewView, routeDetailView, routeFormValues, routeRowView,
} from "../../console/busView.js";
import { setFlash } from "../../console/flash.js";
import { fieldErrors, readForm, type FieldErrors } from "../../console/forms.js";
import { cleanQuery, filterValues, pager } from "../../console/lists.js";
import { fragment, isHtmx, page } from "../../console/view.js";

const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });
/** Text inputs of the route form: name (the API body path), label, hint, required. */
const FORM_FIELDS: [string, string, string, boolean][] = [
  ["name", "Name", "", true], ["description", "Description", "optional", false],
  ["trigger.eventType", "Event type", "e.g. demo.item.created", true],
  ["trigger.sourceServiceCode", "Only from service", "optional service code; empty: any service", false],
  ["action.targetServiceCode", "Run on service", "service code", true], ["action.actionName", "Action", "an action that service declares", true],
];
const routeHref = (id: string) => `/bus/routes/${encodeURIComponent(id)}`;

interface FormState {
  values: Record<string, string>;
  errors: FieldErrors;
  message: string | null;
  preview?: ReturnType<typeof previewView> | null;
  previewError?: string | null;
}

function routeIdOf(raw: string): string {
  const id = idOf("brr").safeParse(raw);
  if (!id.success) throw new AppError("BUS_ROUTE_NOT_FOUND", "no such bus route");
  return id.data;
}

/** The form page: new (no routeId) or edit, optionally with errors or a preview to show. */
function formPage(ctx: Ctx<unknown>, routeId: string | null, form: FormState, status = 200): Reply {
  const r = routeId ? busRouteToWire(ctx.app, requireBusRoute(ctx.app, routeId)) : null;
  return page(ctx, "bus/routes/form", {
    route: r ? routeDetailView(ctx.app, r) : null,
    action: r ? routeHref(r.id) : "/bus/routes",
    statuses: BUS_ROUTE_STATUSES, fields: FORM_FIELDS,
    form: { preview: null, previewError: null, ...form, values: form.values, errors: formErrors(form.errors) },
  }, { title: r ? `Bus route ${r.name}` : "New bus route", nav: "bus", status });
}

/** Runs a write; 422s come back as the form with messages, anything else goes to the error page. */
async function submit(ctx: Ctx<unknown>, routeId: string | null, write: (v: Record<string, string>) => string): Promise<Reply> {
  requireBusVisible(ctx.app);
  const values = formValues(await readForm(ctx));
  try {
    return redirect(routeHref(write(values)));
  } catch (err) {
    const { errors, message } = fieldErrors(err);
    if (err instanceof AppError && err.code === "BUS_ROUTE_CONFIRMATION_REQUIRED") errors.confirmed = "tick this to allow the route to run this action";
    return formPage(ctx, routeId, { values, errors, message }, 422);
  }
}

export const busPages = [
  route({
    method: "GET", path: "/bus/routes", auth: "viewer", page: true, name: "listBusRoutesPage", query: true,
    handler: (ctx) => {
      requireBusVisible(ctx.app);
      const query = cleanQuery(ctx.query);
      const qy = parseQuery(query, ListBusRoutesQuery, LIST_BUS_ROUTES_ARRAYS);
      const { rows, pagination } = listBusRoutesPage(ctx.app, qy, qy.sort, qy.page, qy.pageSize);
      return page(ctx, "bus/routes/index", {
        rows: rows.map((r) => routeRowView(ctx.app, r)),
        pager: pager("/bus/routes", query, qy.page, qy.pageSize, pagination.total),
        filters: filterValues(query, ["status", "q"]), filtered: [...query.keys()].some((k) => k !== "page"),
        statuses: BUS_ROUTE_STATUSES,
      }, { title: "Bus routes", nav: "bus", fragment: "bus/routes/_rows" });
    },
  }),
  route({
    method: "GET", path: "/bus/routes/new", auth: "operator", page: true, name: "newBusRoutePage",
    handler: (ctx) => {
      requireBusVisible(ctx.app);
      return formPage(ctx, null, { values: { status: "DISABLED" }, errors: {}, message: null });
    },
  }),
  route({
    method: "POST", path: "/bus/routes", auth: "operator", page: true, name: "createBusRoutePage",
    handler: (ctx) => submit(ctx, null, (v) => {
      const r = createBusRoute(ctx.app, actorOf(ctx), CreateBusRouteBody.parse(createBody(v)), ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Route "${r.name}" created (${r.status}).` });
      return r.id;
    }),
  }),
  route({
    method: "POST", path: "/bus/routes/preview", auth: "operator", page: true, name: "previewBusRoutePage",
    handler: async (ctx) => {
      requireBusVisible(ctx.app);
      const form = await readForm(ctx);
      const values = formValues(form);
      const routeId = typeof form.routeId === "string" && form.routeId ? routeIdOf(form.routeId) : null;
      let state: FormState = { values, errors: {}, message: null };
      try {
        state.preview = previewView(previewRoute(ctx.app, PreviewBusRouteBody.parse(previewBody(values))));
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
    method: "GET", path: "/bus/routes/:routeId", auth: "viewer", page: true, name: "showBusRoutePage",
    handler: (ctx) => {
      requireBusVisible(ctx.app);
      const id = routeIdOf(ctx.params.routeId);
      return formPage(ctx, id, { values: routeFormValues(busRouteToWire(ctx.app, requireBusRoute(ctx.app, id))), errors: {}, message: null });
    },
  }),
  route({
    method: "POST", path: "/bus/routes/:routeId", auth: "operator", page: true, name: "updateBusRoutePage",
    handler: (ctx) => {
      const id = routeIdOf(ctx.params.routeId);
      return submit(ctx, id, (v) => {
        const r = changeBusRoute(ctx.app, actorOf(ctx), id, UpdateBusRouteBody.parse(patchBody(v)), ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Route "${r.name}" saved (${r.status}).` });
        return r.id;
      });
    },
  }),
  route({
    method: "POST", path: "/bus/routes/:routeId/status", auth: "operator", page: true, name: "setBusRouteStatusPage",
    handler: async (ctx) => {
      requireBusVisible(ctx.app);
      const id = routeIdOf(ctx.params.routeId);
      const form = await readForm(ctx);
      const status = UpdateBusRouteBody.parse({ status: form.status }).status!;
      try {
        const r = changeBusRoute(ctx.app, actorOf(ctx), id, { status }, ctx.requestId);
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
    method: "POST", path: "/bus/routes/:routeId/delete", auth: "operator", page: true, name: "deleteBusRoutePage",
    handler: (ctx) => {
      requireBusVisible(ctx.app);
      const id = routeIdOf(ctx.params.routeId);
      const name = requireBusRoute(ctx.app, id).name;
      removeBusRoute(ctx.app, actorOf(ctx), id, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Route "${name}" deleted.` });
      return redirect("/bus/routes");
    },
  }),
  route({
    method: "GET", path: "/bus/events", auth: "viewer", page: true, name: "listBusEventsPage", query: true,
    handler: (ctx) => {
      requireBusVisible(ctx.app);
      const query = cleanQuery(ctx.query);
      const qy = parseQuery(query, ListBusEventsQuery, LIST_BUS_EVENTS_ARRAYS);
      const { rows, pagination } = listBusEventsPage(ctx.app, qy, qy.sort, qy.page, qy.pageSize);
      const commands = rows.map((e) => causedCommands(ctx.app, e.commandIds));
      return page(ctx, "bus/events/index", {
        rows: rows.map((e, i) => eventRowView(ctx.app, e, commands[i]!)),
        live: anyCommandLive(commands.flat()), selfHref: `/bus/events${query.size ? `?${query}` : ""}`,
        pager: pager("/bus/events", query, qy.page, qy.pageSize, pagination.total),
        filters: filterValues(query, ["eventType", "source", "outcome"]), filtered: [...query.keys()].some((k) => k !== "page"),
      }, { title: "Bus events", nav: "bus", fragment: "bus/events/_rows" });
    },
  }),
  route({
    method: "GET", path: "/bus/events/:eventId", auth: "viewer", page: true, name: "showBusEventPage",
    handler: (ctx) => {
      requireBusVisible(ctx.app);
      const id = idOf("bev").safeParse(ctx.params.eventId);
      if (!id.success) throw new AppError("NOT_FOUND", "no such bus event");
      const e = busEventDetail(ctx.app, id.data);
      return page(ctx, "bus/events/show", { event: eventDetailView(ctx.app, e, e.commands) }, { title: `Bus event ${e.eventType}`, nav: "bus" });
    },
  }),
];
