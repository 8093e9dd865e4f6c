// How console errors look: a page in the layout, or a fragment swapped into the alert region for
// htmx requests. server.ts hands renderErrorPage to createApp, which gives it to the one error
// mapping point (src/http/errorReply.ts).
import type { Ctx } from "../context.js";
import type { ErrorCode } from "../errors.js";
import { chrome, eta, isHtmx } from "./view.js";

const TITLES: Partial<Record<number, string>> = {
  400: "Bad request", 401: "Not logged in", 403: "Not allowed", 404: "Not found", 405: "Method not allowed",
  408: "Timed out", 409: "Conflict", 410: "Gone", 413: "Too large", 422: "Invalid input", 424: "The agent failed",
  429: "Too many attempts", 500: "Something went wrong", 503: "Unavailable",
};

export function errorModel(ctx: Ctx<unknown>, status: number, code: ErrorCode, message: string) {
  return {
    status, code, message,
    title: TITLES[status] ?? "Error",
    requestId: ctx.requestId,
    // a stale CSRF token is fixed by reloading the page the form came from
    reload: code === "CSRF_INVALID",
    back: safeReferer(ctx),
  };
}

/** Same-origin referer path only, so the "back" link cannot point elsewhere. */
function safeReferer(ctx: Ctx<unknown>): string | null {
  const ref = ctx.req.headers.referer;
  if (!ref) return null;
  try {
    const u = new URL(ref);
    return u.host === ctx.req.headers.host ? u.pathname + u.search : null;
  } catch {
    return null;
  }
}

export function renderErrorPage(ctx: Ctx, status: number, code: ErrorCode, message: string): string {
  try {
    const model = errorModel(ctx, status, code, message);
    ctx.extraHeaders.Vary = "HX-Request";
    if (isHtmx(ctx)) {
      // errors land in the page's alert region, whatever the request meant to swap
      ctx.extraHeaders["HX-Retarget"] = "#alerts";
      ctx.extraHeaders["HX-Reswap"] = "innerHTML";
      return eta.render("errors/_error", model);
    }
    return eta.render("layout", chrome(ctx, model.title, "", eta.render("errors/page", model)));
  } catch (err) {
    ctx.app.log.error("error page failed to render", { requestId: ctx.requestId, error: String(err) });
    return `<!doctype html><title>${status}</title><h1>${status} ${escapeHtml(code)}</h1><p>${escapeHtml(message)}</p>`;
  }
}

/** For the last-resort page only: templates escape through eta. */
const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
