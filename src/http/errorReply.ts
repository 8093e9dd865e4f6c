// The one mapping point from thrown errors to responses: the JSON envelope for the API, an HTML
// page (or a redirect to /login) for console routes. Unexpected errors are logged with the request
// id and answered 500 without internals.
import { ZodError } from "zod";
import type { AnyRoute, App, Ctx } from "../context.js";
import { AppError, ERRORS, type ErrorCode } from "../errors.js";
import { html, redirect, type Reply } from "./reply.js";

export interface PageErrorRenderer {
  (ctx: Ctx, status: number, code: ErrorCode, message: string): string;
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
    return new AppError("VALIDATION_FAILED", issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ").slice(0, 500), { issues });
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.startsWith("SQLITE_CONSTRAINT")) {
    return new AppError("CONFLICT", "the change conflicts with existing data");
  }
  // PostgreSQL text cannot hold NUL (22021) nor jsonb \u0000 (22P05); SQLite stores them. Input, not a server fault.
  if (code === "22021" || code === "22P05") {
    return new AppError("VALIDATION_FAILED", "text must not contain NUL (\\u0000) characters");
  }
  // PostgreSQL: class 23 (integrity constraint violation: unique, foreign key, check)
  if (typeof code === "string" && /^23\d{3}$/.test(code)) {
    return new AppError("CONFLICT", "the change conflicts with existing data");
  }
  // PostgreSQL unreachable or the connection broke (class 08, or the engine's DATABASE_CONNECTION: server
  // stopped, network gone, pool connect timeout)
  if (typeof code === "string" && (code === "DATABASE_CONNECTION" || /^08[0-9A-Z]{3}$/.test(code))) {
    return new AppError("DATABASE_UNAVAILABLE", "the database is unreachable; retry shortly");
  }
  // SQLite busy/locked; PostgreSQL serialization/deadlock retries exhausted, too many connections, shutdown
  if (typeof code === "string" && (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED" || /^(40001|40P01|53300|57P0[123])$/.test(code))) {
    return new AppError("DATABASE_UNAVAILABLE", "the database is busy; retry shortly");
  }
  return new AppError("INTERNAL_ERROR", "unexpected server error");
}

/** `renderPage` is how console errors look (src/console/errors.ts), passed in by createApp's caller. */
export function errorReply(ctx: Ctx, route: AnyRoute | undefined, err: unknown, renderPage: PageErrorRenderer): Reply {
  if (route?.page || (!route && !ctx.path.startsWith("/api/") && acceptsHtml(ctx))) {
    const e = logged(ctx.app, ctx.requestId, ctx.routePattern, err);
    const headers = { ...(e.headers ?? {}) };
    if (e.code === "UNAUTHORIZED" && ctx.req.method === "GET") {
      return redirect(`/login?next=${encodeURIComponent(ctx.path + (ctx.query.size ? `?${ctx.query}` : ""))}`);
    }
    return html(renderPage(ctx, e.status, e.code, e.message), e.status, headers);
  }
  return apiErrorReply(ctx.app, ctx.requestId, ctx.routePattern, err);
}

/** The JSON error envelope for an API request: also what a parked long poll answers with when answering it fails. */
export function apiErrorReply(app: App, requestId: string, routePattern: string, err: unknown): Reply {
  const e = logged(app, requestId, routePattern, err);
  return {
    kind: "json",
    status: e.status,
    headers: { ...(e.headers ?? {}) },
    body: { success: false, error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } },
  };
}

/** The AppError for `err`; an unexpected one is logged with the request id (its answer says nothing internal). */
function logged(app: App, requestId: string, routePattern: string, err: unknown): AppError {
  const e = toAppError(err);
  if (e.code === "INTERNAL_ERROR" || e.code === "DATABASE_UNAVAILABLE") {
    app.log.error("request failed", { requestId, route: routePattern, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
  return e;
}

const acceptsHtml = (ctx: Ctx): boolean => (ctx.req.headers.accept ?? "").includes("text/html");

export const statusOf = (code: ErrorCode): number => ERRORS[code];
