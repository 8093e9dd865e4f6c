// /api/admin/api-tokens: personal tokens for curl and scripts.
import { route } from "../../../context.js";
import { createApiToken, listVisibleApiTokens, revokeVisibleApiToken } from "../../../domain/apiTokens.js";
import { AppError } from "../../../errors.js";
import { ok, okEmpty } from "../../../http/reply.js";
import { CreateApiTokenBody } from "../../../schemas/apiTokens.js";
import { idOf, parseQuery } from "../../../schemas/common.js";

export const apiTokenRoutes = [
  route({
    method: "GET", path: "/api/admin/api-tokens", auth: "viewer", name: "listApiTokens", query: true,
    handler: async (ctx) => {
      parseQuery(ctx.query, {});
      return ok(await listVisibleApiTokens(ctx.app, ctx.admin!));
    },
  }),
  route({
    method: "POST", path: "/api/admin/api-tokens", auth: "viewer", name: "createApiToken",
    handler: async (ctx) => {
      const body = CreateApiTokenBody.parse((await ctx.body()) ?? {});
      const who = ctx.admin!;
      if (body.userId && body.userId !== who.userId && who.role !== "owner") throw new AppError("FORBIDDEN", "only an owner may create tokens for other users");
      return ok(await createApiToken(ctx.app, { type: "USER", id: who.userId }, body.userId ?? who.userId, body, ctx.requestId));
    },
  }),
  route({
    method: "DELETE", path: "/api/admin/api-tokens/:tokenId", auth: "viewer", name: "revokeApiToken",
    handler: async (ctx) => {
      const id = idOf("apt").safeParse(ctx.params.tokenId);
      if (!id.success) throw new AppError("API_TOKEN_NOT_FOUND", "no such API token");
      await revokeVisibleApiToken(ctx.app, ctx.admin!, id.data, ctx.requestId);
      return okEmpty();
    },
  }),
];
