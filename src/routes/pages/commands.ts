// /commands and /commands/:id: list with filters, live detail (htmx polls the _live fragment until a
// terminal state), cancel and retry — the same domain operations as /api/admin/commands.
import { route, type Ctx } from "../../context.js";
import { getActionDefinition } from "../../db/serviceParts.js";
import { cancelCommandById } from "../../domain/commands/cancel.js";
import { needsConfirmation } from "../../domain/commands/execute.js";
import { getCommandDetail, getCommandLogs, keyReaderOf, listCommandsWire } from "../../domain/commands/queries.js";
import { retryCommand } from "../../domain/commands/retry.js";
import { AppError } from "../../errors.js";
import { redirect } from "../../http/reply.js";
import { idOf } from "../../schemas/common.js";
import { parseListCommandsQuery } from "../../schemas/commands.js";
import { commandLiveView, commandRowView, isTerminalStatus } from "../../console/commandView.js";
import { setFlash } from "../../console/flash.js";
import { prettyJson } from "../../console/format.js";
import { field, readForm } from "../../console/forms.js";
import { cleanQuery, filterValues, pager } from "../../console/lists.js";
import { namesFor } from "../../console/names.js";
import { csrfOf, fragment, isHtmx, page, roleFlags } from "../../console/view.js";
import { recentAuditFor } from "../../console/auditView.js";

const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });
const asUtc = (v: string): string => (/^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(v) ? `${v}:00Z` : v);

function commandId(raw: string): string {
  const id = idOf("cmd").safeParse(raw);
  if (!id.success) throw new AppError("COMMAND_NOT_FOUND", "no such command");
  return id.data;
}

/** The live widget's model: status, progress, logs, result, and the controls that still apply. */
function liveModel(ctx: Ctx<unknown>, id: string) {
  // a GET by whoever ran the command (or an owner) reveals the one-time generatedKey and forgets it
  const detail = getCommandDetail(ctx.app, id, { revealTo: keyReaderOf(ctx.req.method, ctx.admin) });
  const action = getActionDefinition(ctx.app.db, detail.serviceId, detail.actionName);
  const terminal = isTerminalStatus(detail.status);
  const flags = roleFlags(ctx);
  const controls = {
    label: action?.label ?? detail.actionName, dangerLevel: action?.dangerLevel ?? null,
    cancellable: flags.canOperate && !terminal,
    retryable: flags.canOperate && terminal && detail.type === "ACTION_EXECUTE" && detail.secretFields.length === 0,
    retryNeedsConfirmation: action ? needsConfirmation(action) : false,
  };
  return { detail, action, live: { ...commandLiveView(ctx.app, detail, getCommandLogs(ctx.app, id)), controls, csrf: csrfOf(ctx) } };
}

export const commandPages = [
  route({
    method: "GET", path: "/commands", auth: "viewer", page: true, name: "listCommandsPage", query: true,
    handler: (ctx) => {
      const query = cleanQuery(ctx.query);
      for (const k of ["from", "to"]) if (query.has(k)) query.set(k, asUtc(query.get(k)!));
      const qy = parseListCommandsQuery(query);
      const { data, pagination } = listCommandsWire(ctx.app, qy, qy.sort, qy.page, qy.pageSize);
      const names = namesFor(ctx.app);
      const filters = filterValues(query, ["status", "type", "actionName", "serviceId", "agentId", "from", "to"]);
      return page(ctx, "commands/index", {
        rows: data.map((c) => commandRowView(ctx.app, c, names)),
        pager: pager("/commands", query, qy.page, qy.pageSize, pagination.total),
        filters: { ...filters, from: filters.from!.replace(/:00Z$/, ""), to: filters.to!.replace(/:00Z$/, "") },
        filtered: [...query.keys()].some((k) => k !== "page"),
      }, { title: "Commands", nav: "commands", fragment: "commands/_rows" });
    },
  }),
  route({
    method: "GET", path: "/commands/:commandId", auth: "viewer", page: true, name: "showCommandPage",
    handler: (ctx) => {
      const id = commandId(ctx.params.commandId);
      const { detail, live } = liveModel(ctx, id);
      // the self-polling widget asks for its own fragment; everything else gets the page
      if (isHtmx(ctx)) return fragment("commands/_live", live);
      return page(ctx, "commands/show", {
        live,
        command: {
          ...commandRowView(ctx.app, detail, namesFor(ctx.app)), label: live.controls.label, dangerLevel: live.controls.dangerLevel,
          payload: prettyJson(detail.payload), retryOf: detail.retryOf, createdByType: detail.createdByType,
        },
        audit: recentAuditFor(ctx.app, { targetId: [id] }, 20),
      }, { title: `Command ${detail.actionName}`, nav: "commands", fragment: "commands/_live" });
    },
  }),
  route({
    method: "POST", path: "/commands/:commandId/cancel", auth: "operator", page: true, name: "cancelCommandPage",
    handler: (ctx) => {
      const id = commandId(ctx.params.commandId);
      const c = cancelCommandById(ctx.app, actorOf(ctx), id, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: c.status === "CANCELLED" ? "Command cancelled; a running handler is told to stop." : `Command is ${c.status}.` });
      return redirect(`/commands/${encodeURIComponent(id)}`);
    },
  }),
  route({
    method: "POST", path: "/commands/:commandId/retry", auth: "operator", page: true, name: "retryCommandPage",
    handler: async (ctx) => {
      const id = commandId(ctx.params.commandId);
      const form = await readForm(ctx);
      const c = retryCommand(ctx.app, actorOf(ctx), id, field(form, "confirmation") === "true", ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: "Retry created." });
      return redirect(`/commands/${encodeURIComponent(c.id)}`);
    },
  }),
];
