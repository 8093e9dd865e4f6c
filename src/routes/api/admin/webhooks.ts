// /api/admin/webhooks/*: notification endpoints and their delivery log. Owner only: endpoint URLs
// can carry credentials (Slack's do) and an endpoint sends the installation's events elsewhere.
import { route, type Ctx } from "../../../context.js";
import {
  changeWebhookEndpoint, createWebhookEndpoint, endpointToWire, listDeliveries, listWebhookEndpointsWire, redeliver, removeWebhookEndpoint,
  requireWebhookEndpoint, sendTestNotification,
} from "../../../domain/notifications/endpoints.js";
import { ok, okEmpty } from "../../../http/reply.js";
import { parseBody, parseQuery } from "../../../schemas/common.js";
import { CreateWebhookBody, ListDeliveriesQuery, UpdateWebhookBody, deliveryIdOf, endpointIdOf } from "../../../schemas/webhooks.js";

const BASE = "/api/admin/webhooks";
const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

export const webhookRoutes = [
  route({
    method: "GET", path: BASE, auth: "owner", name: "listWebhooks", query: true,
    handler: async (ctx) => {
      parseQuery(ctx.query, {});
      return ok(await listWebhookEndpointsWire(ctx.app));
    },
  }),
  route({
    method: "POST", path: BASE, auth: "owner", name: "createWebhook",
    handler: async (ctx) => {
      const { endpoint, secret } = await createWebhookEndpoint(ctx.app, actorOf(ctx), parseBody(CreateWebhookBody, await ctx.body()), ctx.requestId);
      return ok({ ...endpoint, secret });
    },
  }),
  route({
    method: "GET", path: `${BASE}/:webhookId`, auth: "owner", name: "showWebhook",
    handler: async ({ app, params }) => ok(endpointToWire(await requireWebhookEndpoint(app, endpointIdOf(params.webhookId)))),
  }),
  route({
    method: "PATCH", path: `${BASE}/:webhookId`, auth: "owner", name: "updateWebhook",
    handler: async (ctx) => {
      const patch = parseBody(UpdateWebhookBody, await ctx.body());
      return ok(await changeWebhookEndpoint(ctx.app, actorOf(ctx), endpointIdOf(ctx.params.webhookId), patch, ctx.requestId));
    },
  }),
  route({
    method: "DELETE", path: `${BASE}/:webhookId`, auth: "owner", name: "deleteWebhook",
    handler: async (ctx) => {
      await removeWebhookEndpoint(ctx.app, actorOf(ctx), endpointIdOf(ctx.params.webhookId), ctx.requestId);
      return okEmpty();
    },
  }),
  route({
    method: "POST", path: `${BASE}/:webhookId/test`, auth: "owner", name: "testWebhook",
    handler: async (ctx) => ok(await sendTestNotification(ctx.app, actorOf(ctx), endpointIdOf(ctx.params.webhookId), ctx.requestId)),
  }),
  route({
    method: "GET", path: `${BASE}/:webhookId/deliveries`, auth: "owner", name: "listWebhookDeliveries", query: true,
    handler: async (ctx) => {
      const { limit } = parseQuery(ctx.query, ListDeliveriesQuery);
      return ok(await listDeliveries(ctx.app, endpointIdOf(ctx.params.webhookId), limit));
    },
  }),
  route({
    method: "POST", path: `${BASE}/deliveries/:deliveryId/redeliver`, auth: "owner", name: "redeliverWebhook",
    handler: async (ctx) => ok(await redeliver(ctx.app, actorOf(ctx), deliveryIdOf(ctx.params.deliveryId), ctx.requestId)),
  }),
];
