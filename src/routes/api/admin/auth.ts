// /api/admin/auth/*: login, logout, me, csrf.
import { route } from "../../../context.js";
import { SESSION_COOKIE } from "../../../auth/identify.js";
import { login, logout, rotateCsrf } from "../../../domain/auth.js";
import { findUser, userToWire } from "../../../domain/users.js";
import { serializeCookie } from "../../../http/cookies.js";
import { ok, okEmpty } from "../../../http/reply.js";
import { LoginBody } from "../../../schemas/users.js";
import { AppError } from "../../../errors.js";
import type { App } from "../../../context.js";

export const secureCookies = (app: App, proto: string | undefined): boolean =>
  app.config.publicUrl ? app.config.publicUrl.startsWith("https:") : app.config.trustProxy && proto === "https";

export const authRoutes = [
  route({
    method: "POST", path: "/api/admin/auth/login", auth: "public", name: "adminLogin", sameOrigin: true,
    handler: async (ctx) => {
      const body = LoginBody.parse(await ctx.body());
      const result = await login(ctx.app, { username: body.username, password: body.password, ip: ctx.ip, userAgent: ctx.req.headers["user-agent"], requestId: ctx.requestId });
      const cookie = serializeCookie(SESSION_COOKIE, result.rawSessionId, {
        maxAgeSeconds: ctx.app.config.sessionTtlSeconds,
        secure: secureCookies(ctx.app, ctx.req.headers["x-forwarded-proto"] as string | undefined),
      });
      return ok({ user: userToWire(result.user), csrfToken: result.csrfToken, expiresAt: result.expiresAt }, { "Set-Cookie": cookie });
    },
  }),
  route({
    method: "POST", path: "/api/admin/auth/logout", auth: "viewer", name: "adminLogout",
    handler: async (ctx) => {
      await logout(ctx.app, ctx.admin!, ctx.requestId);
      return { ...okEmpty(), headers: { "Set-Cookie": serializeCookie(SESSION_COOKIE, "", { maxAgeSeconds: 0 }) } };
    },
  }),
  route({
    method: "GET", path: "/api/admin/auth/me", auth: "viewer", name: "adminMe",
    handler: async (ctx) => {
      const user = await findUser(ctx.app, ctx.admin!.userId);
      if (!user) throw new AppError("UNAUTHORIZED", "user no longer exists");
      return ok({ user: userToWire(user), csrfToken: ctx.admin!.csrfToken ?? null, expiresAt: ctx.admin!.sessionExpiresAt ?? null, via: ctx.admin!.via });
    },
  }),
  route({
    method: "GET", path: "/api/admin/auth/csrf", auth: "viewer", name: "adminCsrf", sameOrigin: true,
    // expiresAt (the session's): the upstream (Opstage v0.4) console reads it beside the token
    handler: async (ctx) => ok({
      csrfToken: await rotateCsrf(ctx.app, ctx.admin!, ctx.cookies[SESSION_COOKIE] ?? "", ctx.requestId), expiresAt: ctx.admin!.sessionExpiresAt ?? null,
    }),
  }),
];
