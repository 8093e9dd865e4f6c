// /api/admin/bus/*: route rules (operators manage, viewers read), received events and the bus's audit trail.
// 503 CAPSULE_BUS_DISABLED while the bus is off (feature: "bus").
import { route, type Ctx } from "../../../context.js";
import { busEventDetail, listBusEventsPage } from "../../../domain/bus/events.js";
import { previewRoute } from "../../../domain/bus/match.js";
import { busRouteToWire, changeBusRoute, createBusRoute, listBusRoutesPage, removeBusRoute, requireBusRoute } from "../../../domain/bus/routes.js";
import { ok, okEmpty, okList } from "../../../http/reply.js";
import {
  CreateBusRouteBody, LIST_BUS_EVENTS_ARRAYS, LIST_BUS_ROUTES_ARRAYS, ListBusEventsQuery, ListBusRoutesQuery, PreviewBusRouteBody,
  ReplaceBusRouteBody, UpdateBusRouteBody, V04BusRouteBody,
} from "../../../schemas/bus.js";
import { AUDIT_QUERY_ARRAYS, ListAuditQuery } from "../../../schemas/audit.js";
import { listAudit } from "../../../domain/auditQueries.js";
import { isV04RouteBody, replacementOf, v04ToCreate } from "../../../domain/bus/v04.js";
import { parseBody, parseQuery } from "../../../schemas/common.js";

const BASE = "/api/admin/bus";
const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

export const adminBusRoutes = [
  route({
    method: "GET", path: `${BASE}/routes`, auth: "viewer", feature: "bus", name: "listBusRoutes", query: true,
    handler: async ({ app, query }) => {
      const { page, pageSize, sort, ...filter } = parseQuery(query, ListBusRoutesQuery, LIST_BUS_ROUTES_ARRAYS);
      const { rows, pagination } = await listBusRoutesPage(app, filter, sort, page, pageSize);
      return okList(rows, pagination);
    },
  }),
  route({
    method: "POST", path: `${BASE}/routes`, auth: "operator", feature: "bus", name: "createBusRoute",
    handler: async (ctx) => {
      const body = await ctx.body();
      // ours ({trigger, action}) or Opstage v0.4's ({match, target, inputMapping})
      const input = isV04RouteBody(body) ? v04ToCreate(parseBody(V04BusRouteBody, body)) : parseBody(CreateBusRouteBody, body);
      return ok(await busRouteToWire(ctx.app, await createBusRoute(ctx.app, actorOf(ctx), input, ctx.requestId)));
    },
  }),
  route({
    method: "POST", path: `${BASE}/routes/preview`, auth: "operator", feature: "bus", name: "previewBusRoute",
    handler: async (ctx) => {
      return ok(await previewRoute(ctx.app, parseBody(PreviewBusRouteBody, await ctx.body())));
    },
  }),
  route({
    method: "GET", path: `${BASE}/routes/:routeId`, auth: "viewer", feature: "bus", name: "showBusRoute",
    handler: async ({ app, params }) => {
      return ok(await busRouteToWire(app, await requireBusRoute(app, params.routeId)));
    },
  }),
  route({
    method: "PATCH", path: `${BASE}/routes/:routeId`, auth: "operator", feature: "bus", name: "updateBusRoute",
    handler: async (ctx) => {
      const patch = parseBody(UpdateBusRouteBody, await ctx.body());
      return ok(await busRouteToWire(ctx.app, await changeBusRoute(ctx.app, actorOf(ctx), ctx.params.routeId, patch, ctx.requestId)));
    },
  }),
  // Opstage v0.4: full replacement, in either shape
  route({
    method: "PUT", path: `${BASE}/routes/:routeId`, auth: "operator", feature: "bus", name: "replaceBusRoute",
    handler: async (ctx) => {
      const body = await ctx.body();
      const patch = replacementOf(isV04RouteBody(body) ? { v04: parseBody(V04BusRouteBody, body) } : { ours: parseBody(ReplaceBusRouteBody, body) });
      return ok(await busRouteToWire(ctx.app, await changeBusRoute(ctx.app, actorOf(ctx), ctx.params.routeId, patch, ctx.requestId)));
    },
  }),
  route({
    method: "DELETE", path: `${BASE}/routes/:routeId`, auth: "operator", feature: "bus", name: "deleteBusRoute",
    handler: async (ctx) => {
      await removeBusRoute(ctx.app, actorOf(ctx), ctx.params.routeId, ctx.requestId);
      return okEmpty();
    },
  }),
  route({
    method: "GET", path: `${BASE}/events`, auth: "viewer", feature: "bus", name: "listBusEvents", query: true,
    handler: async ({ app, query }) => {
      const { page, pageSize, sort, ...filter } = parseQuery(query, ListBusEventsQuery, LIST_BUS_EVENTS_ARRAYS);
      const { rows, pagination } = await listBusEventsPage(app, filter, sort, page, pageSize);
      return okList(rows, pagination);
    },
  }),
  // Opstage v0.4: the bus's part of the audit trail
  route({
    method: "GET", path: `${BASE}/audit`, auth: "viewer", feature: "bus", name: "listBusAudit", query: true,
    handler: async ({ app, query }) => {
      const qy = parseQuery(query, ListAuditQuery, AUDIT_QUERY_ARRAYS);
      const { rows, total, totalCapped } = await listAudit(app, { ...qy, actionPrefix: "bus." }, qy.sort, qy.page, qy.pageSize);
      return okList(rows, { page: qy.page, pageSize: qy.pageSize, total, ...(totalCapped ? { totalCapped } : {}) });
    },
  }),
  route({
    method: "GET", path: `${BASE}/events/:eventId`, auth: "viewer", feature: "bus", name: "showBusEvent",
    handler: async ({ app, params }) => {
      return ok(await busEventDetail(app, params.eventId));
    },
  }),
];
