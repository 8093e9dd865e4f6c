// /api/agents/:agentId/commands*: the agent side of the command engine (poll, progress, result).
import { route } from "../../context.js";
import { confirmsDeliveries } from "../../domain/commands/delivery.js";
import { pollCommands } from "../../domain/commands/poll.js";
import { reportProgress } from "../../domain/commands/progress.js";
import { reportResult } from "../../domain/commands/result.js";
import { ok, parked } from "../../http/reply.js";
import { parseBody, parseQuery } from "../../schemas/common.js";
import { PollQuery, ProgressBody, ResultBody } from "../../schemas/commands.js";

// Results may carry up to 1,000,000 bytes of message/data/error plus JSON overhead: the body limit sits
// well above that so an oversized result is answered by our own 413 COMMAND_RESULT_TOO_LARGE check.
const RESULT_BODY_LIMIT = 4 * 1024 * 1024;

export const agentCommandRoutes = [
  route({
    method: "GET", path: "/api/agents/:agentId/commands", auth: "agent", name: "pollCommands", query: true,
    handler: async (ctx) => {
      const q = parseQuery(ctx.query, PollQuery);
      const commands = await pollCommands(ctx.app, {
        agentId: ctx.agent!.agentId, agentStatus: ctx.agent!.agentStatus, limit: q.limit, waitSeconds: q.waitSeconds,
        leased: confirmsDeliveries(ctx.req.headers["user-agent"]), client: ctx.exchange, requestId: ctx.requestId,
      });
      // parked: the hub answers through ctx.exchange later, and this request's async chain ends now
      return commands === "parked" ? parked() : ok(commands);
    },
  }),
  route({
    method: "POST", path: "/api/agents/:agentId/commands/:commandId/progress", auth: "agent", name: "reportProgress",
    handler: async (ctx) => {
      const body = parseBody(ProgressBody, await ctx.body());
      return ok(await reportProgress(ctx.app, { agentId: ctx.agent!.agentId, commandId: ctx.params.commandId, ...body }));
    },
  }),
  route({
    method: "POST", path: "/api/agents/:agentId/commands/:commandId/result", auth: "agent", name: "reportResult",
    bodyLimit: RESULT_BODY_LIMIT,
    handler: async (ctx) => {
      const body = parseBody(ResultBody, await ctx.body());
      const outcome = await reportResult(ctx.app, { agentId: ctx.agent!.agentId, commandId: ctx.params.commandId, requestId: ctx.requestId, ...body });
      // a late result for a cancelled command is acknowledged (so the agent stops retrying) but says it was ignored
      return ok(outcome.ignored ? { ignored: true, reason: "COMMAND_CANCELLED" } : {});
    },
  }),
];
