// Capsule services as the console shows them: list rows and the detail tabs' view models.
import type { App } from "../context.js";
import { listCommandsWire } from "../domain/commands/queries.js";
import type { serviceDetail, ServiceWire } from "../domain/services.js";
import { needsConfirmation } from "../domain/commands/execute.js";
import { recentAuditFor } from "./auditView.js";
import { commandRowsView } from "./commandView.js";
import { badge, cell, prettyJson, when } from "./format.js";
import { servicePackageView } from "./servicePackageView.js";

type Detail = Awaited<ReturnType<typeof serviceDetail>>;
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

export function serviceRowView(app: App, s: ServiceWire) {
  return {
    id: s.id, href: `/services/${encodeURIComponent(s.id)}`, code: s.code, name: s.name, version: s.version ?? "",
    status: badge(s.status), reason: s.statusReason, health: badge(s.healthStatus),
    agent: s.agentCode ?? "", agentHref: s.agentId ? `/agents/${encodeURIComponent(s.agentId)}` : null,
    reported: when(s.lastReportedAt, app.now()),
  };
}

export const TABS = ["overview", "manifest", "health", "configs", "actions", "commands", "audit"] as const;
export type Tab = (typeof TABS)[number];

export function serviceHeaderView(app: App, d: Detail, tab: Tab) {
  const base = `/services/${encodeURIComponent(d.id)}`;
  const m = d.manifest;
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v.slice(0, 50) : []);
  // each capability links to the services list filtered by its exact name
  const capabilities = list(m.capabilities).map((c) => {
    const name = cell(isObj(c) ? c.name : c);
    return { name, label: isObj(c) && c.label ? cell(c.label) : name, href: `/services?capability=${encodeURIComponent(name)}` };
  });
  const events = list(m.events).filter(isObj).map((e) => ({ name: cell(e.name), direction: cell(e.direction), description: cell(e.description) }));
  const permissions = list(m.permissions).map((p) => (isObj(p) ? { name: cell(p.name), description: cell(p.description) } : { name: cell(p), description: "" }));
  return {
    ...serviceRowView(app, d), description: d.description ?? "", runtime: d.runtime ?? "", released: d.releasedAt !== null,
    created: when(d.createdAt, app.now()), capabilities, events, permissions,
    tabs: TABS.map((t) => ({ key: t, label: t[0]!.toUpperCase() + t.slice(1), href: t === "overview" ? base : `${base}/${t}`, current: t === tab })),
  };
}

export function healthView(app: App, d: Detail) {
  const h = d.health;
  if (!h) return null;
  const details = isObj(h.details) ? { ...h.details } : {};
  const deps = Array.isArray(details.dependencies) ? details.dependencies : null;
  if (deps) delete details.dependencies;
  return {
    status: badge(h.status), message: h.message ?? "", reported: when(h.reportedAt, app.now()),
    details: Object.keys(details).length ? prettyJson(details) : null,
    dependencies: deps?.slice(0, 100).map((x) => (isObj(x) ? { name: cell(x.name ?? x.id), status: badge(cell(x.status)), message: cell(x.message) } : { name: cell(x), status: badge(null), message: "" })) ?? [],
  };
}

export function configViews(d: Detail) {
  return d.configs.map((c) => ({
    key: c.key, label: c.label ?? "", type: c.type, source: c.source ?? "", editable: c.editable ? "yes" : "no", sensitive: c.sensitive,
    value: c.sensitive ? "•••••• (sensitive, not stored)" : (c.valuePreview ?? ""), defaultValue: c.sensitive ? "" : (c.defaultValue ?? ""),
    secretRef: c.secretRef ?? "",
  }));
}

export function actionViews(d: Detail, canRun: boolean) {
  return d.actions.map((a) => ({
    name: a.name, label: a.label, description: a.description ?? "", danger: badge(a.dangerLevel), enabled: a.enabled,
    confirm: needsConfirmation(a), timeout: a.timeoutSeconds ? `${a.timeoutSeconds} s` : "",
    runHref: canRun && a.enabled ? `/services/${encodeURIComponent(d.id)}/actions/${encodeURIComponent(a.name)}` : null,
  }));
}

/** The detail page: the header and tabs, plus what the current tab shows. */
export async function serviceTabView(app: App, d: Detail, tab: Tab, canOperate: boolean) {
  const model: Record<string, unknown> = { service: serviceHeaderView(app, d, tab), tab };
  if (tab === "overview") Object.assign(model, { health: healthView(app, d), actions: actionViews(d, canOperate), pkg: servicePackageView(app, d, canOperate) });
  if (tab === "manifest") model.manifest = prettyJson(d.manifest);
  if (tab === "health") model.health = healthView(app, d);
  if (tab === "configs") model.configs = configViews(d);
  if (tab === "actions") model.actions = actionViews(d, canOperate);
  if (tab === "commands") model.commands = await commandRowsView(app, (await listCommandsWire(app, { serviceId: [d.id] }, [{ field: "createdAt", desc: true }], 1, 25)).data);
  if (tab === "audit") model.audit = await recentAuditFor(app, { targetId: [d.id] }, 50);
  return model;
}
