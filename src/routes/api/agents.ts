// /api/agents/*: registration, heartbeat and service reports (bearer agent token; commands live in agentCommands.ts).
import { route } from "../../context.js";
import { heartbeat } from "../../domain/agents.js";
import { registerAgent } from "../../domain/registration.js";
import { reportServices } from "../../domain/serviceReport.js";
import { ok } from "../../http/reply.js";
import { RegisterAgentBody } from "../../schemas/agents.js";
import { parseBody } from "../../schemas/common.js";
import { HeartbeatBody, ServiceReportBody } from "../../schemas/services.js";

export const agentRoutes = [
  route({
    method: "POST", path: "/api/agents/register", auth: "public", name: "registerAgent",
    handler: async (ctx) => ok(await registerAgent(ctx.app, parseBody(RegisterAgentBody, await ctx.body()), ctx.requestId, ctx.ip)),
  }),
  route({
    method: "POST", path: "/api/agents/:agentId/heartbeat", auth: "agent", name: "sendHeartbeat",
    handler: async (ctx) => ok(await heartbeat(ctx.app, ctx.agent!.agentId, parseBody(HeartbeatBody, await ctx.body()), ctx.agent!.agentStatus)),
  }),
  route({
    method: "POST", path: "/api/agents/:agentId/services/report", auth: "agent", name: "reportServices",
    handler: async (ctx) => {
      const body = parseBody(ServiceReportBody, await ctx.body());
      return ok({ services: await reportServices(ctx.app, ctx.agent!.agentId, body.services, ctx.requestId) });
    },
  }),
];
