// /login, /logout: the console's session pages. Login calls the same domain operation as the API.
import { route } from "../../context.js";
import { identifyAdmin, SESSION_COOKIE } from "../../auth/identify.js";
import { login, logout } from "../../domain/auth.js";
import { AppError } from "../../errors.js";
import { serializeCookie } from "../../http/cookies.js";
import { html, redirect } from "../../http/reply.js";
import { LoginBody } from "../../schemas/users.js";
import { secureCookies } from "../api/admin/auth.js";
import { field, readForm, safeNext } from "../../console/forms.js";
import { chrome, eta, VARY } from "../../console/view.js";
import type { Ctx } from "../../context.js";

function loginPage(ctx: Ctx<unknown>, model: { next: string; username: string; error: string | null }, status = 200) {
  const body = eta.render("login", model);
  return html(eta.render("layout", chrome(ctx, "Log in", "", body)), status, VARY);
}

export const authPages = [
  route({
    method: "GET", path: "/login", auth: "public", page: true, name: "showLogin", query: true,
    handler: async (ctx) => {
      const next = safeNext(ctx.query.get("next") ?? undefined);
      // already logged in: a bookmark of /login should not ask again
      if (await identifyAdmin(ctx)) return redirect(next);
      return loginPage(ctx, { next, username: "", error: null });
    },
  }),
  route({
    method: "POST", path: "/login", auth: "public", page: true, noCsrf: true, sameOrigin: true, name: "submitLogin",
    handler: async (ctx) => {
      const form = await readForm(ctx);
      const next = safeNext(field(form, "next"));
      const username = field(form, "username");
      const parsed = LoginBody.safeParse({ username, password: field(form, "password") });
      if (!parsed.success) return loginPage(ctx, { next, username, error: "Enter your username and password." }, 422);
      try {
        const result = await login(ctx.app, { ...parsed.data, ip: ctx.ip, userAgent: ctx.req.headers["user-agent"], requestId: ctx.requestId });
        const cookie = serializeCookie(SESSION_COOKIE, result.rawSessionId, {
          maxAgeSeconds: ctx.app.config.sessionTtlSeconds,
          secure: secureCookies(ctx.app, ctx.req.headers["x-forwarded-proto"] as string | undefined),
        });
        return redirect(next, { "Set-Cookie": cookie });
      } catch (err) {
        if (err instanceof AppError && (err.code === "LOGIN_FAILED" || err.code === "RATE_LIMITED")) {
          const reply = loginPage(ctx, { next, username, error: err.code === "RATE_LIMITED" ? err.message : "Username or password is wrong." }, err.status);
          return { ...reply, headers: { ...reply.headers, ...(err.headers ?? {}) } };
        }
        throw err;
      }
    },
  }),
  route({
    method: "POST", path: "/logout", auth: "viewer", page: true, name: "submitLogout",
    handler: async (ctx) => {
      await logout(ctx.app, ctx.admin!, ctx.requestId);
      return redirect("/login", { "Set-Cookie": serializeCookie(SESSION_COOKIE, "", { maxAgeSeconds: 0 }) });
    },
  }),
];
