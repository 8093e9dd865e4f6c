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
    handler: ({ app, query }) => {
      const { page, pageSize, sort, ...filter } = parseQuery(query, ListServicesQuery, LIST_SERVICES_ARRAYS);
      const { rows, pagination } = listServicesPage(app, filter, sort, page, pageSize);
      return okList(rows, pagination);
    },
  }),
  route({
    method: "GET", path: `${BASE}/:serviceId`, auth: "viewer", name: "showService",
    handler: ({ app, params }) => ok(serviceDetail(app, params.serviceId)),
  }),
  route({
    method: "GET", path: `${BASE}/:serviceId/manifest`, auth: "viewer", name: "showServiceManifest",
    handler: ({ app, params }) => ok(serviceManifest(app, params.serviceId)),
  }),
  route({
    method: "GET", path: `${BASE}/:serviceId/health`, auth: "viewer", name: "showServiceHealth",
    handler: ({ app, params }) => ok(serviceHealth(app, params.serviceId)),
  }),
  route({
    method: "GET", path: `${BASE}/:serviceId/configs`, auth: "viewer", name: "listServiceConfigs",
    handler: ({ app, params }) => ok(serviceConfigs(app, params.serviceId)),
  }),
  route({
    method: "GET", path: `${BASE}/:serviceId/actions`, auth: "viewer", name: "listServiceActions",
    handler: ({ app, params }) => ok(serviceActions(app, params.serviceId)),
  }),
  route({
    method: "POST", path: `${BASE}/:serviceId/release`, auth: "operator", name: "releaseService",
    handler: (ctx) => ok(releaseServiceById(ctx.app, { type: "USER", id: ctx.admin!.userId }, ctx.params.serviceId, ctx.requestId)),
  }),
];
