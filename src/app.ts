// The application factory: builds the context for each request, authenticates it from the route
// table, runs the handler and maps every error to the one envelope. bin/ owns the process.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AnyRoute, App, AppDeps } from "./context.js";
import { checkCsrf, requireAdmin, requireAgent } from "./auth/identify.js";
import { pendingApprovalCount } from "./domain/approvals/queries.js";
import { requireMessagesFeature } from "./domain/messages/enabled.js";
import { requireBusFeature } from "./domain/bus/enabled.js";
import { flushContacts } from "./domain/contacts.js";
import { AppError } from "./errors.js";
import { refuseCrossSite } from "./http/crossSite.js";
import { errorReply, type PageErrorRenderer } from "./http/errorReply.js";
import { Exchange } from "./http/exchange.js";
import { headerValue, RequestContext } from "./http/requestContext.js";
import { Router } from "./http/router.js";
import { parseTarget } from "./http/target.js";
import { createRuntime } from "./runtime.js";
import { allRoutes } from "./routes/index.js";

export interface CapstanApp {
  app: App;
  routes: AnyRoute[];
  handle: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface CreateAppDeps extends AppDeps {
  /** How console errors look (src/console/errors.ts): passed in, never registered by an import's side effect. */
  renderErrorPage: PageErrorRenderer;
}

export function createApp(deps: CreateAppDeps): CapstanApp {
  const { renderErrorPage, ...appDeps } = deps;
  const app: App = { ...appDeps, runtime: createRuntime(deps.now) };
  const routes = allRoutes(app);
  // this node's id and a counter: unique across nodes and restarts, and no random bytes per request
  let requests = 0;
  const nextRequestId = () => `${app.runtime.nodeId}-${(++requests).toString(36)}`;
  const router = new Router<AnyRoute>();
  for (const r of routes) router.add(r.method, r.path, r);

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const incomingId = req.headers["x-request-id"];
    const requestId = typeof incomingId === "string" && /^[\w.-]{1,64}$/.test(incomingId) ? incomingId : nextRequestId();
    const url = parseTarget(req.url ?? "/");
    const match = router.match(req.method ?? "GET", url.pathname);
    const route = match.kind === "found" ? match.value : undefined;
    // What answering needs, apart from ctx: a parked long poll keeps only this (http/exchange.ts).
    const x = new Exchange(app, req, res, requestId, match.kind === "found" ? match.pattern : "(unmatched)", started);

    const ctx = new RequestContext(app, req, res, x, url.pathname, url.searchParams, match.kind === "found" ? match.params : {}, route?.bodyLimit ?? app.config.bodyLimitBytes);

    const run = async () => {
      if (match.kind === "method-not-allowed") throw new AppError("METHOD_NOT_ALLOWED", "method not allowed", undefined, { Allow: match.allow.join(", ") });
      if (match.kind === "bad-param") throw new AppError("REQUEST_ERROR", "malformed path parameter");
      if (!route) throw new AppError("NOT_FOUND", "no such route");
      if (route.sameOrigin) refuseCrossSite(req, app.config);
      if (route.auth === "agent") ctx.agent = await requireAgent(ctx, ctx.params);
      else if (route.auth !== "public") {
        await flushContacts(app); // readers see every contact, however recent (domain/contacts.ts)
        ctx.admin = await requireAdmin(ctx, route.auth, route.scope);
        if (req.method !== "GET" && req.method !== "HEAD" && !route.noCsrf) {
          let supplied = headerValue(req.headers["x-csrf-token"]);
          if (!supplied && route.page) {
            const body = await ctx.body();
            if (body && typeof body === "object" && typeof (body as Record<string, unknown>)._csrf === "string") supplied = (body as Record<string, string>)._csrf;
          }
          checkCsrf(ctx.admin, supplied);
        }
      }
      // Every body is read and parsed up front, so bad JSON, oversize bodies and hostile nesting get
      // their 4xx even on routes whose handler ignores the body.
      if (req.method !== "GET" && req.method !== "HEAD") await ctx.body();
      if (ctx.query.size > 0 && !route.query) {
        throw new AppError("VALIDATION_FAILED", "this endpoint takes no query parameters", {
          issues: [...new Set(ctx.query.keys())].map((k) => ({ path: k, message: "unknown query parameter" })),
        });
      }
      if (route.feature === "bus") requireBusFeature(app, route);
      // the navigation's pending-approvals badge: one indexed COUNT per full console page
      if (route.page && ctx.admin && req.method === "GET") ctx.navCounts = { pendingApprovals: await pendingApprovalCount(app) };
      if (route.feature === "messages") requireMessagesFeature(app, route);
      return route.handler(ctx);
    };

    void x.finish(run()
      .catch((err: unknown) => errorReply(ctx, route, err, renderErrorPage))
      .finally(() => {
        if (ctx.admin) x.identify("user", ctx.admin.userId);
        else if (ctx.agent) x.identify("agent", ctx.agent.agentId);
      }));
  };
  return { app, routes, handle };
}
