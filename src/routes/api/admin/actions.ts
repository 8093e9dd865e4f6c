// /api/admin/capsule-services/:serviceId/actions/:actionName: GET prepares the action panel, POST runs it.
import { route } from "../../../context.js";
import { executeAction } from "../../../domain/commands/execute.js";
import { prepareAction } from "../../../domain/commands/prepare.js";
import { commandToWire } from "../../../domain/commands/wire.js";
import { ok } from "../../../http/reply.js";
import { parseBody, parseQuery } from "../../../schemas/common.js";
import { ExecuteBody } from "../../../schemas/commands.js";

export const actionRoutes = [
  route({
    method: "GET", path: "/api/admin/capsule-services/:serviceId/actions/:actionName", auth: "operator", name: "prepareAction", query: true, sameOrigin: true,
    handler: async (ctx) => {
      parseQuery(ctx.query, {});
      const prepared = await prepareAction(ctx.app, {
        serviceId: ctx.params.serviceId, actionName: ctx.params.actionName, actor: { type: "USER", id: ctx.admin!.userId },
        signal: ctx.signal, requestId: ctx.requestId,
      });
      return ok(prepared);
    },
  }),
  route({
    method: "POST", path: "/api/admin/capsule-services/:serviceId/actions/:actionName", auth: "operator", name: "runAction",
    handler: async (ctx) => {
      const body = parseBody(ExecuteBody, await ctx.body());
      const command = await executeAction(ctx.app, {
        serviceId: ctx.params.serviceId, actionName: ctx.params.actionName, payload: body.payload, confirmation: body.confirmation,
        actor: { type: "USER", id: ctx.admin!.userId }, requestId: ctx.requestId,
      });
      return ok(commandToWire(command));
    },
  }),
];
