// /users (owner): list, create, change role/status, reset password — the same domain operations as /api/admin/users.
import { route, type Ctx } from "../../context.js";
import { changeUser, createUser, listUsersPage, resetPassword } from "../../domain/users.js";
import { AppError } from "../../errors.js";
import { redirect, type Reply } from "../../http/reply.js";
import { idOf, parseQuery } from "../../schemas/common.js";
import { CreateUserBody, ListUsersQuery, ResetPasswordBody, UpdateUserBody, USER_QUERY_ARRAYS } from "../../schemas/users.js";
import { setFlash } from "../../console/flash.js";
import { blankForm, pick, readForm, submitForm, type FormState } from "../../console/forms.js";
import { listPage } from "../../console/lists.js";
import { userRowView } from "../../console/userView.js";
import { page } from "../../console/view.js";

const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

function userId(raw: string): string {
  const id = idOf("usr").safeParse(raw);
  if (!id.success || !id.data) throw new AppError("USER_NOT_FOUND", "no such user");
  return id.data;
}

async function usersPage(ctx: Ctx<unknown>, form: FormState, status = 200): Promise<Reply> {
  const l = await listPage(ctx.query, {
    path: "/users",
    parse: (q) => parseQuery(q, ListUsersQuery, USER_QUERY_ARRAYS),
    list: (qy) => listUsersPage(ctx.app, qy, qy.sort, qy.page, qy.pageSize),
  });
  return page(ctx, "users/index", {
    users: l.rows.map((u) => userRowView(ctx.app, u, ctx.admin!.userId)), pager: l.pager, form,
  }, { title: "Users", nav: "users", status });
}

/** Domain refusals (last owner, duplicate name) come back as a message on the page, not an error page. */
function conflict(ctx: Ctx<unknown>, err: unknown): Reply | undefined {
  if (!(err instanceof AppError) || err.status !== 409) return undefined;
  setFlash(ctx.app, ctx.admin!.sessionId, { kind: "error", message: err.message });
  return redirect("/users");
}

export const userPages = [
  route({
    method: "GET", path: "/users", auth: "owner", page: true, name: "listUsersPage", query: true,
    handler: (ctx) => usersPage(ctx, blankForm()),
  }),
  route({
    method: "POST", path: "/users", auth: "owner", page: true, name: "createUserPage",
    handler: async (ctx) => {
      const values = pick(await readForm(ctx), ["username", "displayName", "role", "password"]);
      return submitForm(values, async () => {
        const user = await createUser(ctx.app, actorOf(ctx), CreateUserBody.parse(values), ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `User ${user.username} created.` });
        return redirect("/users");
      }, (form, status) => usersPage(ctx, { ...form, values: { ...form.values, password: "" } }, status), { handle: (err) => conflict(ctx, err) });
    },
  }),
  route({
    method: "POST", path: "/users/:userId", auth: "owner", page: true, name: "updateUserPage",
    handler: async (ctx) => {
      const id = userId(ctx.params.userId);
      const patch = UpdateUserBody.parse(pick(await readForm(ctx), ["role", "status"]));
      try {
        const u = await changeUser(ctx.app, actorOf(ctx), id, patch, ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `${u.username} is now ${u.role}, ${u.status.toLowerCase()}.` });
        return redirect("/users");
      } catch (err) {
        const answer = conflict(ctx, err);
        if (answer) return answer;
        throw err;
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
