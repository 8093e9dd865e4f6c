// The console's view engine: one Eta instance over views/, the layout chrome, and the one rule for
// htmx (fragment when HX-Request is set, full page otherwise, always Vary: HX-Request).
import { Eta } from "eta";
import type { Ctx } from "../context.js";
import { roleAtLeast } from "../auth/roles.js";
import { html, type Reply } from "../http/reply.js";
import { rootPath } from "../paths.js";
import { VOCABULARY } from "../vocabulary.js";
import { takeFlash, type Flash } from "./flash.js";
import { assetUrl, htmxUrl } from "./static.js";

// NODE_ENV is the ecosystem's switch for template caching, not Capstan configuration, so it is read
// here once instead of through config.ts: development edits show up without a restart.
const CACHE = process.env.NODE_ENV === "production";

export const eta = new Eta({ views: rootPath("views"), autoEscape: true, cache: CACHE, autoTrim: [false, "nl"] });

export const VARY = { Vary: "HX-Request" };

/**
 * A partial request from htmx. Boosted forms and links want the whole page (htmx swaps its body), and
 * history restores are full requests too (historyRestoreAsHxRequest: false).
 */
export const isHtmx = (ctx: Ctx<unknown>): boolean => ctx.req.headers["hx-request"] === "true" && ctx.req.headers["hx-boosted"] !== "true";

/** Role facts every view model may need; decided here so templates never compare roles. */
export function roleFlags(ctx: Ctx<unknown>) {
  const role = ctx.admin?.role ?? "viewer";
  return { canOperate: roleAtLeast(role, "operator"), isOwner: role === "owner" };
}

/** Fields for the hidden CSRF input of every form. */
export const csrfOf = (ctx: Ctx<unknown>): string => ctx.admin?.csrfToken ?? "";

export interface PageOptions {
  title: string;
  /** Which navigation entry is current. */
  nav?: string;
  /** Template rendered alone for htmx requests; defaults to the page template. */
  fragment?: string;
  status?: number;
  headers?: Record<string, string>;
}

export interface Chrome {
  title: string;
  nav: string;
  user: { username: string; role: string } | null;
  csrf: string;
  csrfHeaders: string;
  flash: Flash | undefined;
  css: string;
  js: string;
  icon: string;
  htmx: string;
  canOperate: boolean;
  isOwner: boolean;
  navItems: { href: string; label: string; current: boolean; count?: number }[];
  body: string;
}

const NAV: { key: string; href: string; label: string; ownerOnly?: boolean; busOnly?: boolean; messagesOnly?: boolean }[] = [
  { key: "dashboard", href: "/", label: "Dashboard" },
  { key: "services", href: "/services", label: "Services" },
  { key: "agents", href: "/agents", label: "Agents" },
  { key: "commands", href: "/commands", label: "Commands" },
  { key: "approvals", href: "/approvals", label: "Approvals" },
  { key: "packages", href: "/packages", label: "Packages" },
  { key: "audit", href: "/audit", label: "Audit" },
  { key: "bus", href: "/bus/routes", label: "Bus", busOnly: true },
  { key: "messages", href: "/messages", label: "Messages", messagesOnly: true },
  { key: "tokens", href: "/tokens", label: "Registration tokens" },
  { key: "users", href: "/users", label: "Users", ownerOnly: true },
  { key: "notifications", href: "/notifications", label: "Notifications", ownerOnly: true },
  { key: "settings", href: "/settings", label: "Settings" },
];

export function chrome(ctx: Ctx<unknown>, title: string, nav: string, body: string, flash?: Flash): Chrome {
  const csrf = csrfOf(ctx);
  const flags = roleFlags(ctx);
  return {
    title, nav, body, csrf, flash,
    user: ctx.admin ? { username: ctx.admin.username, role: ctx.admin.role } : null,
    csrfHeaders: JSON.stringify({ "X-CSRF-Token": csrf }),
    css: assetUrl("app.css"), js: assetUrl("app.js"), icon: assetUrl("favicon.svg"), htmx: htmxUrl(),
    ...flags,
    navItems: NAV.filter((n) => (!n.ownerOnly || flags.isOwner) && (!n.busOnly || ctx.app.config.busEnabled) && (!n.messagesOnly || ctx.app.config.messagesEnabled)).map((n) => ({
      href: n.href, label: n.label, current: n.key === nav,
      // reviewers (operators, owners) see how many requests wait for them
      ...(n.key === "approvals" && flags.canOperate && ctx.navCounts?.pendingApprovals ? { count: ctx.navCounts.pendingApprovals } : {}),
    })),
  };
}

/** Renders a page: the fragment for htmx requests, the page inside the layout otherwise. */
export function page(ctx: Ctx<unknown>, template: string, model: object, opts: PageOptions): Reply {
  // vocab: the status lists, so filter dropdowns offer exactly what the list queries accept.
  const data = { ...model, csrf: csrfOf(ctx), ...roleFlags(ctx), vocab: VOCABULARY };
  const headers = { ...VARY, ...(opts.headers ?? {}) };
  if (isHtmx(ctx)) return html(eta.render(opts.fragment ?? template, data), opts.status ?? 200, headers);
  const flash = ctx.admin?.sessionId ? takeFlash(ctx.app, ctx.admin.sessionId) : undefined;
  const body = eta.render(template, data);
  return html(eta.render("layout", chrome(ctx, opts.title, opts.nav ?? "", body, flash)), opts.status ?? 200, headers);
}

/** A fragment on its own (live widgets), still varying on HX-Request. */
export const fragment = (template: string, model: object, status = 200): Reply => html(eta.render(template, model), status, VARY);
