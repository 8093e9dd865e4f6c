// /api/admin/capsule-services: list, detail, manifest, health, configs, actions, release.
// Prepare/execute (GET|POST .../actions/:actionName) live in actions.ts.
import { route } from "../../../context.js";
import {
  listServicesPage, releaseServiceById, serviceActions, serviceConfigs, serviceDetail, serviceHealth, serviceManifest,
} from "../../../domain/services.js";
import { ok, okList } from "../../../http/reply.js";
import { parseQuery } from "../../../schemas/common.js";
import { LIST_SERVICES_ARRAYS, ListServicesQuery } from "../../../schemas/services.js";

const BASE = "/api/admin/capsule-services";

export const adminServiceRoutes = [
  route({
    method: "GET", path: BASE, auth: "viewer", name: "listServices", query: true,
    handler: async ({ app, query }) => {
      const { page, pageSize, sort, ...filter } = parseQuery(query, ListServicesQuery, LIST_SERVICES_ARRAYS);
      const { rows, pagination } = await listServicesPage(app, filter, sort, page, pageSize);
      return okList(rows, pagination);
    },
  }),
  route({
    method: "GET", path: `${BASE}/:serviceId`, auth: "viewer", name: "showService",
    handler: async ({ app, params }) => ok(await serviceDetail(app, params.serviceId)),
  }),
  route({
    method: "GET", path: `${BASE}/:serviceId/manifest`, auth: "viewer", name: "showServiceManifest",
    handler: async ({ app, params }) => ok(await serviceManifest(app, params.serviceId)),
  }),
  route({
    method: "GET", path: `${BASE}/:serviceId/health`, auth: "viewer", name: "showServiceHealth",
    handler: async ({ app, params }) => ok(await serviceHealth(app, params.serviceId)),
  }),
  route({
    method: "GET", path: `${BASE}/:serviceId/configs`, auth: "viewer", name: "listServiceConfigs",
    handler: async ({ app, params }) => ok(await serviceConfigs(app, params.serviceId)),
  }),
  route({
    method: "GET", path: `${BASE}/:serviceId/actions`, auth: "viewer", name: "listServiceActions",
    handler: async ({ app, params }) => ok(await serviceActions(app, params.serviceId)),
  }),
  route({
    method: "POST", path: `${BASE}/:serviceId/release`, auth: "operator", name: "releaseService",
    handler: async (ctx) => ok(await releaseServiceById(ctx.app, { type: "USER", id: ctx.admin!.userId }, ctx.params.serviceId, ctx.requestId)),
  }),
];
