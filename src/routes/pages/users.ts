// /users (owner): list, create, change role/status, reset password — the same domain operations as /api/admin/users.
import { route, type Ctx } from "../../context.js";
import { listUsers } from "../../db/users.js";
import { changeUser, createUser, resetPassword } from "../../domain/users.js";
import { AppError } from "../../errors.js";
import { redirect, type Reply } from "../../http/reply.js";
import { idOf, parseQuery } from "../../schemas/common.js";
import { CreateUserBody, ListUsersQuery, ResetPasswordBody, UpdateUserBody, USER_QUERY_ARRAYS } from "../../schemas/users.js";
import { setFlash } from "../../console/flash.js";
import { badge, when } from "../../console/format.js";
import { fieldErrors, pick, readForm, type FieldErrors } from "../../console/forms.js";
import { cleanQuery, pager } from "../../console/lists.js";
import { page } from "../../console/view.js";

const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

function userId(raw: string): string {
  const id = idOf("usr").safeParse(raw);
  if (!id.success || !id.data) throw new AppError("USER_NOT_FOUND", "no such user");
  return id.data;
}

function usersPage(ctx: Ctx<unknown>, form: { values: Record<string, string>; errors: FieldErrors; message: string | null }, status = 200): Reply {
  const query = cleanQuery(ctx.query);
  const qy = parseQuery(query, ListUsersQuery, USER_QUERY_ARRAYS);
  const { rows, total } = listUsers(ctx.app.db, qy, qy.sort, qy.page, qy.pageSize);
  const now = ctx.app.now();
  return page(ctx, "users/index", {
    users: rows.map((u) => ({
      id: u.id, username: u.username, displayName: u.displayName ?? "", role: u.role, status: badge(u.status), statusValue: u.status,
      lastLogin: when(u.lastLoginAt, now), created: when(u.createdAt, now), isSelf: u.id === ctx.admin!.userId,
    })),
    pager: pager("/users", query, qy.page, qy.pageSize, total),
    form,
  }, { title: "Users", nav: "users", status });
}

/** Domain refusals (last owner, duplicate name) come back as a message on the page, not an error page. */
function back(ctx: Ctx<unknown>, err: unknown): Reply {
  if (err instanceof AppError && err.status === 409) {
    setFlash(ctx.app, ctx.admin!.sessionId, { kind: "error", message: err.message });
    return redirect("/users");
  }
  throw err;
}

export const userPages = [
  route({
    method: "GET", path: "/users", auth: "owner", page: true, name: "listUsersPage", query: true,
    handler: (ctx) => usersPage(ctx, { values: {}, errors: {}, message: null }),
  }),
  route({
    method: "POST", path: "/users", auth: "owner", page: true, name: "createUserPage",
    handler: async (ctx) => {
      const values = pick(await readForm(ctx), ["username", "displayName", "role", "password"]);
      try {
        const user = await createUser(ctx.app, actorOf(ctx), CreateUserBody.parse(values), ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `User ${user.username} created.` });
        return redirect("/users");
      } catch (err) {
        if (err instanceof AppError && err.status === 409) return back(ctx, err);
        const { errors, message } = fieldErrors(err);
        return usersPage(ctx, { values: { ...values, password: "" }, errors, message }, 422);
      }
    },
  }),
  route({
    method: "POST", path: "/users/:userId", auth: "owner", page: true, name: "updateUserPage",
    handler: async (ctx) => {
      const id = userId(ctx.params.userId);
      const patch = UpdateUserBody.parse(pick(await readForm(ctx), ["role", "status"]));
      try {
        const u = changeUser(ctx.app, actorOf(ctx), id, patch, ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `${u.username} is now ${u.role}, ${u.status.toLowerCase()}.` });
        return redirect("/users");
      } catch (err) {
        return back(ctx, err);
      }
    },
  }),
  route({
    method: "POST", path: "/users/:userId/password", auth: "owner", page: true, name: "resetUserPasswordPage",
    handler: async (ctx) => {
      const id = userId(ctx.params.userId);
      const parsed = ResetPasswordBody.safeParse(pick(await readForm(ctx), ["password"]));
      if (!parsed.success) {
        setFlash(ctx.app, ctx.admin!.sessionId, { kind: "error", message: `Password not changed: ${parsed.error.issues[0]?.message ?? "invalid"}.` });
        return redirect("/users");
      }
      const u = await resetPassword(ctx.app, actorOf(ctx), id, parsed.data.password, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Password of ${u.username} reset; their sessions were ended and their API tokens revoked.` });
      return redirect("/users"); // resetting your own password ends your session: /users then asks to log in
    },
  }),
];
