// /api/admin/message-routes: which service answers which messages (operators manage, viewers read),
// the "which route would match this text" preview, and the received messages. 503 while message
// routing is off (feature: "messages").
import { route, type Ctx } from "../../../context.js";
import { listMessagesPage } from "../../../domain/messages/queries.js";
import {
  changeMessageRoute, createMessageRoute, listMessageRoutesPage, messageRouteToWire, previewMessageRoute, removeMessageRoute, requireMessageRoute,
} from "../../../domain/messages/routes.js";
import { ok, okEmpty, okList } from "../../../http/reply.js";
import { parseBody, parseQuery } from "../../../schemas/common.js";
import {
  CreateMessageRouteBody, LIST_MESSAGE_ROUTES_ARRAYS, LIST_MESSAGES_ARRAYS, ListMessageRoutesQuery, ListMessagesQuery, PreviewMessageRouteBody,
  UpdateMessageRouteBody,
} from "../../../schemas/messages.js";

const BASE = "/api/admin/message-routes";
const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

export const adminMessageRoutes = [
  route({
    method: "GET", path: BASE, auth: "viewer", feature: "messages", name: "listMessageRoutes", query: true,
    handler: async ({ app, query }) => {
      const { page, pageSize, ...filter } = parseQuery(query, ListMessageRoutesQuery, LIST_MESSAGE_ROUTES_ARRAYS);
      const { rows, pagination } = await listMessageRoutesPage(app, filter, page, pageSize);
      return okList(rows, pagination);
    },
  }),
  route({
    method: "POST", path: BASE, auth: "operator", feature: "messages", name: "createMessageRoute",
    handler: async (ctx) => {
      const input = parseBody(CreateMessageRouteBody, await ctx.body());
      return ok(await messageRouteToWire(ctx.app, await createMessageRoute(ctx.app, actorOf(ctx), input, ctx.requestId)));
    },
  }),
  route({
    method: "POST", path: `${BASE}/preview`, auth: "viewer", feature: "messages", name: "previewMessageRoute",
    handler: async (ctx) => ok(await previewMessageRoute(ctx.app, parseBody(PreviewMessageRouteBody, await ctx.body()))),
  }),
  route({
    method: "GET", path: `${BASE}/:routeId`, auth: "viewer", feature: "messages", name: "showMessageRoute",
    handler: async ({ app, params }) => ok(await messageRouteToWire(app, await requireMessageRoute(app, params.routeId))),
  }),
  route({
    method: "PATCH", path: `${BASE}/:routeId`, auth: "operator", feature: "messages", name: "updateMessageRoute",
    handler: async (ctx) => {
      const patch = parseBody(UpdateMessageRouteBody, await ctx.body());
      return ok(await messageRouteToWire(ctx.app, await changeMessageRoute(ctx.app, actorOf(ctx), ctx.params.routeId, patch, ctx.requestId)));
    },
  }),
  route({
    method: "DELETE", path: `${BASE}/:routeId`, auth: "operator", feature: "messages", name: "deleteMessageRoute",
    handler: async (ctx) => {
      await removeMessageRoute(ctx.app, actorOf(ctx), ctx.params.routeId, ctx.requestId);
      return okEmpty();
    },
  }),
  route({
    method: "GET", path: "/api/admin/messages", auth: "viewer", feature: "messages", name: "listMessages", query: true,
    handler: async ({ app, query }) => {
      const { page, pageSize, ...filter } = parseQuery(query, ListMessagesQuery, LIST_MESSAGES_ARRAYS);
      const { rows, pagination } = await listMessagesPage(app, filter, page, pageSize);
      return okList(rows, pagination);
    },
  }),
];
