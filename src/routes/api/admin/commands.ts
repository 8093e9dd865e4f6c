// /api/admin/commands*: command history, detail, logs, and the operator's cancel and retry.
import { route } from "../../../context.js";
import { cancelCommandById } from "../../../domain/commands/cancel.js";
import { getCommandDetail, getCommandLogs, keyReaderOf, listCommandsWire } from "../../../domain/commands/queries.js";
import { retryCommand } from "../../../domain/commands/retry.js";
import { commandToWire } from "../../../domain/commands/wire.js";
import { ok, okList } from "../../../http/reply.js";
import { parseBody, parseQuery } from "../../../schemas/common.js";
import { CancelBody, LogsQuery, parseListCommandsQuery, RetryBody } from "../../../schemas/commands.js";

export const commandRoutes = [
  route({
    method: "GET", path: "/api/admin/commands", auth: "viewer", name: "listCommands", query: true,
    handler: async (ctx) => {
      const q = parseListCommandsQuery(ctx.query);
      const { data, pagination } = await listCommandsWire(ctx.app, q, q.sort, q.page, q.pageSize);
      return okList(data, pagination);
    },
  }),
  route({
    method: "GET", path: "/api/admin/commands/:commandId", auth: "viewer", name: "showCommand", query: true,
    handler: async (ctx) => {
      parseQuery(ctx.query, {});
      return ok(await getCommandDetail(ctx.app, ctx.params.commandId, { revealTo: keyReaderOf(ctx.req.method, ctx.admin) }));
    },
  }),
  route({
    method: "GET", path: "/api/admin/commands/:commandId/logs", auth: "viewer", name: "showCommandLogs", query: true,
    handler: async (ctx) => {
      const q = parseQuery(ctx.query, LogsQuery);
      return ok(await getCommandLogs(ctx.app, ctx.params.commandId, q.afterId, q.limit));
    },
  }),
  route({
    method: "POST", path: "/api/admin/commands/:commandId/cancel", auth: "operator", name: "cancelCommand",
    handler: async (ctx) => {
      parseBody(CancelBody, await ctx.body());
      const c = await cancelCommandById(ctx.app, { type: "USER", id: ctx.admin!.userId }, ctx.params.commandId, ctx.requestId);
      return ok(commandToWire(c));
    },
  }),
  route({
    method: "POST", path: "/api/admin/commands/:commandId/retry", auth: "operator", name: "retryCommand",
    handler: async (ctx) => {
      const body = parseBody(RetryBody, await ctx.body());
      const c = await retryCommand(ctx.app, { type: "USER", id: ctx.admin!.userId }, ctx.params.commandId, body.confirmation, ctx.requestId);
      return ok(commandToWire(c));
    },
  }),
];
