// Commands as the console shows them: list rows, and the live detail (status, progress, logs, and
// the result rendered by kind: message, JSON, a data.list table with row actions, a one-time key).
import type { App } from "../context.js";
import type { CommandDetailWire, CommandWire } from "../domain/commands/queries.js";
import { REDACTED } from "../domain/redact.js";
import { badge, cell, duration, prettyJson, when } from "./format.js";
import type { Names } from "./names.js";

/** A row value by a column name the agent chose: own fields only, so "constructor" is not Object. */
const own = (r: Record<string, unknown>, key: string): unknown => (Object.hasOwn(r, key) ? r[key] : undefined);

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "EXPIRED", "CANCELLED"]);
export const isTerminalStatus = (s: string): boolean => TERMINAL.has(s);

export function commandRowView(app: App, c: CommandWire, names: Names) {
  const svc = names.service(c.serviceId);
  return {
    id: c.id, href: `/commands/${encodeURIComponent(c.id)}`,
    status: badge(c.status), type: c.type === "ACTION_PREPARE" ? "prepare" : "execute", action: c.actionName,
    service: svc ? svc.code : c.serviceId, serviceHref: `/services/${encodeURIComponent(c.serviceId)}`,
    agent: names.agent(c.agentId) ?? c.agentId, agentHref: `/agents/${encodeURIComponent(c.agentId)}`,
    created: when(c.createdAt, app.now()), duration: duration(c.startedAt ?? c.createdAt, c.completedAt) ?? "",
    errorCode: c.errorCode ?? "",
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

/**
 * A `data.list` table. Columns: `data.columns` (names or {key,label}) or the keys of the first rows.
 * Row actions: `data.rowActions` = [{action (or name), label?, params?: {payloadField: rowColumn}}];
 * each becomes a link to the action's run page with the row's values prefilled.
 */
function listTable(data: Obj, serviceId: string) {
  if (!Array.isArray(data.list)) return null;
  const rows = data.list.slice(0, 500).map((r): Obj => (isObj(r) ? r : { value: r }));
  let columns: { key: string; label: string }[] = [];
  if (Array.isArray(data.columns)) {
    columns = data.columns.map((c) => (isObj(c) ? { key: cell(c.key), label: cell(c.label ?? c.key) } : { key: cell(c), label: cell(c) }));
  } else {
    const keys = new Set<string>();
    for (const r of rows.slice(0, 50)) for (const k of Object.keys(r)) if (keys.size < 12) keys.add(k);
    columns = [...keys].map((k) => ({ key: k, label: k }));
  }
  const actions = (Array.isArray(data.rowActions) ? data.rowActions : []).filter(isObj).slice(0, 5).map((a) => ({
    name: cell(a.action ?? a.name), label: cell(a.label ?? a.action ?? a.name),
    params: isObj(a.params) ? (a.params as Record<string, unknown>) : { id: "id" },
  })).filter((a) => a.name !== "");
  return {
    columns,
    truncated: data.list.length > rows.length ? `showing ${rows.length} of ${data.list.length} rows` : null,
    rows: rows.map((r) => ({
      cells: columns.map((c) => cell(own(r, c.key))),
      actions: actions.map((a) => {
        const q = new URLSearchParams();
        for (const [field, column] of Object.entries(a.params)) if (own(r, cell(column)) !== undefined) q.set(`p.${field}`, cell(own(r, cell(column))));
        return { label: a.label, href: `/services/${encodeURIComponent(serviceId)}/actions/${encodeURIComponent(a.name)}?${q}` };
      }),
    })),
  };
}

function resultView(d: CommandDetailWire) {
  const r = d.result;
  if (!r) return null;
  const data = isObj(r.data) ? { ...r.data } : null;
  let generatedKey: { value: string | null } | null = null;
  if (data && typeof data.generatedKey === "string") {
    generatedKey = { value: data.generatedKey === REDACTED ? null : data.generatedKey };
    data.generatedKey = REDACTED; // never echoed again in the JSON block below
  }
  const table = data ? listTable(data, d.serviceId) : null;
  const rest = data ? Object.fromEntries(Object.entries(data).filter(([k]) => !(table && ["list", "columns", "rowActions"].includes(k)) && k !== "generatedKey")) : null;
  return {
    success: r.success, message: r.message ?? "", generatedKey, table,
    json: rest && Object.keys(rest).length ? prettyJson(rest) : null,
    error: isObj(r.error) ? { code: cell(r.error.code), message: cell(r.error.message), details: r.error.details ? prettyJson(r.error.details) : null } : null,
  };
}

export function commandLiveView(app: App, d: CommandDetailWire, logs: { at: string; level: string; message: string }[]) {
  const now = app.now();
  const terminal = isTerminalStatus(d.status);
  const percent = d.progress.percent;
  return {
    id: d.id, href: `/commands/${encodeURIComponent(d.id)}`, status: badge(d.status), terminal,
    // polled while something can still change; a terminal fragment carries no trigger, so polling stops
    poll: !terminal,
    // the wire carries a fraction 0..1 (ctx.progress(0.5) is half way); the bar shows whole percent
    progress: percent === null || percent === undefined ? null : Math.round(Math.min(1, Math.max(0, percent)) * 100),
    progressMessage: d.progress.message ?? "",
    cancelRequested: d.cancelRequested,
    started: when(d.startedAt, now), completed: when(d.completedAt, now), expires: when(d.expiresAt, now),
    duration: duration(d.startedAt, d.completedAt ?? (terminal ? null : now.toISOString())),
    errorCode: d.errorCode ?? "", errorMessage: d.errorMessage ?? "",
    logs: logs.map((l) => ({ at: when(l.at, now), level: l.level, message: l.message })),
    result: resultView(d),
  };
}
