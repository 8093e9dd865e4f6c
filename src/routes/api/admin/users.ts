// /api/admin/users: owner-only user administration.
import { route } from "../../../context.js";
import { changeUser, createUser, listUsersPage, requireUser, resetPassword, userToWire } from "../../../domain/users.js";
import { AppError } from "../../../errors.js";
import { ok, okList } from "../../../http/reply.js";
import { idOf, parseQuery } from "../../../schemas/common.js";
import { CreateUserBody, ListUsersQuery, ResetPasswordBody, UpdateUserBody, USER_QUERY_ARRAYS } from "../../../schemas/users.js";

const userId = (raw: string): string => {
  const id = idOf("usr").safeParse(raw);
  if (!id.success) throw new AppError("USER_NOT_FOUND", "no such user");
  return id.data;
};

export const userRoutes = [
  route({
    method: "GET", path: "/api/admin/users", auth: "owner", name: "listUsers", query: true,
    handler: async ({ app, query }) => {
      const qy = parseQuery(query, ListUsersQuery, USER_QUERY_ARRAYS);
      const { rows, pagination } = await listUsersPage(app, qy, qy.sort, qy.page, qy.pageSize);
      return okList(rows, pagination);
    },
  }),
  route({
    method: "POST", path: "/api/admin/users", auth: "owner", name: "createUser",
    handler: async (ctx) => {
      const body = CreateUserBody.parse(await ctx.body());
      return ok(userToWire(await createUser(ctx.app, { type: "USER", id: ctx.admin!.userId }, body, ctx.requestId)));
    },
  }),
  route({
    method: "GET", path: "/api/admin/users/:userId", auth: "owner", name: "getUser",
    handler: async (ctx) => ok(userToWire(await requireUser(ctx.app, userId(ctx.params.userId)))),
  }),
  route({
    method: "PATCH", path: "/api/admin/users/:userId", auth: "owner", name: "updateUser",
    handler: async (ctx) => {
      const id = userId(ctx.params.userId);
      const body = UpdateUserBody.parse(await ctx.body());
      return ok(userToWire(await changeUser(ctx.app, { type: "USER", id: ctx.admin!.userId }, id, body, ctx.requestId)));
    },
  }),
  route({
    method: "POST", path: "/api/admin/users/:userId/reset-password", auth: "owner", name: "resetUserPassword",
    handler: async (ctx) => {
      const id = userId(ctx.params.userId);
      const body = ResetPasswordBody.parse(await ctx.body());
      return ok(userToWire(await resetPassword(ctx.app, { type: "USER", id: ctx.admin!.userId }, id, body.password, ctx.requestId)));
    },
  }),
];
