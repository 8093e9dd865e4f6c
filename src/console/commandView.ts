// Commands as the console shows them: list rows, and the live detail (status, progress, logs, and
// the result rendered by kind: message, JSON, a data.list table with row actions, a one-time key).
import type { App, Ctx } from "../context.js";
import { isCancellable } from "../domain/commands/cancel.js";
import { needsConfirmation } from "../domain/commands/execute.js";
import { getCommandDetail, getCommandLogs, isTerminal, keyReaderOf, type CommandDetailWire, type CommandWire } from "../domain/commands/queries.js";
import { retryRefusal } from "../domain/commands/retry.js";
import { REDACTED } from "../domain/redact.js";
import { findActionDefinition } from "../domain/services.js";
import { commandApprovalView } from "./approvalView.js";
import { recentAuditFor } from "./auditView.js";
import { badge, cell, elapsedBetween, prettyJson, when } from "./format.js";
import { actorView, lookupNames, type Names, type Who } from "./names.js";
import { csrfOf, roleFlags } from "./view.js";

/** Who created the command: the user by name, "bus" for a Capsule Bus route, or "system". */
function creatorView(c: CommandWire, names: Names): Who {
  if (c.createdByType === "USER") return actorView("USER", c.createdByUserId, names);
  if (c.createdByType === "BUS") return { text: "bus", title: c.sourceEventId ?? "" };
  return actorView("SYSTEM", null, names);
}

/** A row value by a column name the agent chose: own fields only, so "constructor" is not Object. */
const own = (r: Record<string, unknown>, key: string): unknown => (Object.hasOwn(r, key) ? r[key] : undefined);

export function commandRowView(app: App, c: CommandWire, names: Names) {
  const svc = names.service(c.serviceId);
  return {
    id: c.id, href: `/commands/${encodeURIComponent(c.id)}`,
    status: badge(c.status), type: c.type === "ACTION_PREPARE" ? "prepare" : c.type === "MESSAGE" ? "message" : "execute", action: c.actionName,
    service: svc ? svc.code : c.serviceId, serviceHref: `/services/${encodeURIComponent(c.serviceId)}`,
    agent: names.agent(c.agentId) ?? c.agentId, agentHref: `/agents/${encodeURIComponent(c.agentId)}`,
    by: creatorView(c, names),
    created: when(c.createdAt, app.now()), duration: elapsedBetween(c.startedAt ?? c.createdAt, c.completedAt) ?? "",
    errorCode: c.errorCode ?? "",
  };
}

/** Names for a page of commands: services, agents and creators, one batch each. */
const namesOfCommands = async (app: App, rows: readonly CommandWire[]): Promise<Names> =>
  await lookupNames(app, { services: rows.map((c) => c.serviceId), agents: rows.map((c) => c.agentId), users: rows.map((c) => c.createdByUserId) });

export const commandRowsView = async (app: App, rows: readonly CommandWire[]) => {
  const names = await namesOfCommands(app, rows);
  return rows.map((c) => commandRowView(app, c, names));
};

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

/** The execution trace as facts for the result block: attempts, wall time, CPU, heap (issue #20). */
function metricsView(m: Record<string, number> | undefined) {
  if (!m) return null;
  const ms = (v: number | undefined) => (v === undefined ? "" : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v * 10) / 10} ms`);
  return {
    attempts: String(m.attempts), duration: ms(m.durationMs), cpu: `${ms(m.cpuUserMs)} user, ${ms(m.cpuSystemMs)} system`,
    heap: m.peakHeapMb === undefined ? null : `${Math.round(m.peakHeapMb * 10) / 10} MB`,
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
    success: r.success, message: r.message ?? "", generatedKey, table, metrics: metricsView("metrics" in r ? r.metrics : undefined),
    json: rest && Object.keys(rest).length ? prettyJson(rest) : null,
    error: isObj(r.error) ? { code: cell(r.error.code), message: cell(r.error.message), details: r.error.details ? prettyJson(r.error.details) : null } : null,
  };
}

export function commandLiveView(app: App, d: CommandDetailWire, logs: { at: string; level: string; message: string }[]) {
  const now = app.now();
  const terminal = isTerminal(d.status);
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
    duration: elapsedBetween(d.startedAt, d.completedAt ?? (terminal ? null : now.toISOString())),
    errorCode: d.errorCode ?? "", errorMessage: d.errorMessage ?? "",
    logs: logs.map((l) => ({ at: when(l.at, now), level: l.level, message: l.message })),
    result: resultView(d),
  };
}

/** The live widget's model: status, progress, logs, result, and the controls that still apply. */
export async function commandLiveModel(ctx: Ctx<unknown>, id: string) {
  // an admin read: the one-time generatedKey is revealed to the first one and forgotten
  const detail = await getCommandDetail(ctx.app, id, { revealTo: keyReaderOf(ctx.req.method, ctx.admin) });
  const action = await findActionDefinition(ctx.app, detail.serviceId, detail.actionName);
  const flags = roleFlags(ctx);
  const controls = {
    label: action?.label ?? detail.actionName, dangerLevel: action?.dangerLevel ?? null,
    cancellable: flags.canOperate && isCancellable(detail.status),
    retryable: flags.canOperate && retryRefusal(detail) === null,
    retryNeedsConfirmation: action ? needsConfirmation(action) : false,
  };
  return { detail, live: { ...commandLiveView(ctx.app, detail, await getCommandLogs(ctx.app, id)), controls, csrf: csrfOf(ctx) } };
}

/** The detail page around the live widget: what was run where, by whom, with which payload. */
export async function commandPageView(app: App, m: Awaited<ReturnType<typeof commandLiveModel>>) {
  const { detail, live } = m;
  return {
    live,
    command: {
      ...commandRowView(app, detail, await namesOfCommands(app, [detail])), label: live.controls.label, dangerLevel: live.controls.dangerLevel,
      payload: prettyJson(detail.payload), retryOf: detail.retryOf,
    },
    audit: await recentAuditFor(app, { targetId: [detail.id] }, 20),
    approval: commandApprovalView(app, detail.approval),
  };
}
