// /commands and /commands/:id: list with filters, live detail (htmx polls the _live fragment until a
// terminal state), cancel and retry — the same domain operations as /api/admin/commands.
import { route, type Ctx } from "../../context.js";
import { cancelCommandById } from "../../domain/commands/cancel.js";
import { listCommandsWire } from "../../domain/commands/queries.js";
import { retryCommand } from "../../domain/commands/retry.js";
import { AppError } from "../../errors.js";
import { redirect } from "../../http/reply.js";
import { idOf } from "../../schemas/common.js";
import { parseListCommandsQuery } from "../../schemas/commands.js";
import { commandLiveModel, commandPageView, commandRowsView } from "../../console/commandView.js";
import { setFlash } from "../../console/flash.js";
import { field, readForm } from "../../console/forms.js";
import { listPage } from "../../console/lists.js";
import { fragment, isHtmx, page } from "../../console/view.js";

const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

function commandId(raw: string): string {
  const id = idOf("cmd").safeParse(raw);
  if (!id.success) throw new AppError("COMMAND_NOT_FOUND", "no such command");
  return id.data;
}

export const commandPages = [
  route({
    method: "GET", path: "/commands", auth: "viewer", page: true, name: "listCommandsPage", query: true,
    handler: async (ctx) => {
      const l = await listPage(ctx.query, {
        path: "/commands", filterKeys: ["status", "type", "actionName", "serviceId", "agentId", "from", "to"], timeKeys: ["from", "to"],
        parse: parseListCommandsQuery,
        list: async (qy) => {
          const { data, pagination } = await listCommandsWire(ctx.app, qy, qy.sort, qy.page, qy.pageSize);
          return { rows: data, pagination };
        },
      });
      return page(ctx, "commands/index", {
        rows: await commandRowsView(ctx.app, l.rows), pager: l.pager, filters: l.filters, filtered: l.filtered,
      }, { title: "Commands", nav: "commands", fragment: "commands/_rows" });
    },
  }),
  route({
    method: "GET", path: "/commands/:commandId", auth: "viewer", page: true, name: "showCommandPage",
    handler: async (ctx) => {
      const m = await commandLiveModel(ctx, commandId(ctx.params.commandId));
      // the self-polling widget asks for its own fragment; everything else gets the page
      if (isHtmx(ctx)) return fragment("commands/_live", m.live);
      return page(ctx, "commands/show", await commandPageView(ctx.app, m), { title: `Command ${m.detail.actionName}`, nav: "commands", fragment: "commands/_live" });
    },
  }),
  route({
    method: "POST", path: "/commands/:commandId/cancel", auth: "operator", page: true, name: "cancelCommandPage",
    handler: async (ctx) => {
      const id = commandId(ctx.params.commandId);
      const c = await cancelCommandById(ctx.app, actorOf(ctx), id, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: c.status === "CANCELLED" ? "Command cancelled; a running handler is told to stop." : `Command is ${c.status}.` });
      return redirect(`/commands/${encodeURIComponent(id)}`);
    },
  }),
  route({
    method: "POST", path: "/commands/:commandId/retry", auth: "operator", page: true, name: "retryCommandPage",
    handler: async (ctx) => {
      const id = commandId(ctx.params.commandId);
      const form = await readForm(ctx);
      const c = await retryCommand(ctx.app, actorOf(ctx), id, field(form, "confirmation") === "true", ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: "Retry created." });
      return redirect(`/commands/${encodeURIComponent(c.id)}`);
    },
  }),
];
