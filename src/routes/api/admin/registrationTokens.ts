// /api/admin/registration-tokens: create (raw value once), list, revoke.
import { route } from "../../../context.js";
import { createRegistrationToken, deleteRegistrationTokenById, listRegistrationTokensPage, revokeRegistrationTokenById } from "../../../domain/registrationTokens.js";
import { ok, okList } from "../../../http/reply.js";
import { parseBody, parseQuery } from "../../../schemas/common.js";
import {
  CreateRegistrationTokenBody, LIST_REGISTRATION_TOKENS_ARRAYS, ListRegistrationTokensQuery,
} from "../../../schemas/registrationTokens.js";

export const registrationTokenRoutes = [
  route({
    method: "POST", path: "/api/admin/registration-tokens", auth: "operator", name: "createRegistrationToken",
    handler: async (ctx) => {
      const body = parseBody(CreateRegistrationTokenBody, await ctx.body());
      return ok(await createRegistrationToken(ctx.app, { type: "USER", id: ctx.admin!.userId }, body, ctx.requestId));
    },
  }),
  route({
    method: "GET", path: "/api/admin/registration-tokens", auth: "viewer", name: "listRegistrationTokens", query: true,
    handler: async ({ app, query }) => {
      const qy = parseQuery(query, ListRegistrationTokensQuery, LIST_REGISTRATION_TOKENS_ARRAYS);
      const { rows, pagination } = await listRegistrationTokensPage(app, { status: qy.status }, qy.sort, qy.page, qy.pageSize);
      return okList(rows, pagination);
    },
  }),
  route({
    method: "POST", path: "/api/admin/registration-tokens/:tokenId/revoke", auth: "operator", name: "revokeRegistrationToken",
    handler: async (ctx) => ok(await revokeRegistrationTokenById(ctx.app, { type: "USER", id: ctx.admin!.userId }, ctx.params.tokenId, ctx.requestId)),
  }),
  // Opstage v0.4: tidy the list of spent tokens
  route({
    method: "DELETE", path: "/api/admin/registration-tokens/:tokenId", auth: "operator", name: "deleteRegistrationToken",
    handler: async (ctx) => ok(await deleteRegistrationTokenById(ctx.app, { type: "USER", id: ctx.admin!.userId }, ctx.params.tokenId, ctx.requestId)),
  }),
];
