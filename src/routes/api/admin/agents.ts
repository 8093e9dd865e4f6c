// /api/admin/agents: list, detail, disable, enable, revoke.
import { route, type Ctx } from "../../../context.js";
import { agentDetail, agentToWire, changeAgentState, listAgentsPage } from "../../../domain/agents.js";
import { ok, okList } from "../../../http/reply.js";
import { LIST_AGENTS_ARRAYS, ListAgentsQuery } from "../../../schemas/agents.js";
import { parseQuery } from "../../../schemas/common.js";

const transition = (op: "disable" | "enable" | "revoke") => async (ctx: Ctx<{ agentId: string }>) =>
  ok(agentToWire(ctx.app, await changeAgentState(ctx.app, { type: "USER", id: ctx.admin!.userId }, ctx.params.agentId, op, ctx.requestId)));

export const adminAgentRoutes = [
  route({
    method: "GET", path: "/api/admin/agents", auth: "viewer", name: "listAgents", query: true,
    handler: async ({ app, query }) => {
      const qy = parseQuery(query, ListAgentsQuery, LIST_AGENTS_ARRAYS);
      const { rows, pagination } = await listAgentsPage(app, { status: qy.status, q: qy.q }, qy.sort, qy.page, qy.pageSize);
      return okList(rows, pagination);
    },
  }),
  route({
    method: "GET", path: "/api/admin/agents/:agentId", auth: "viewer", name: "showAgent",
    handler: async ({ app, params }) => ok(await agentDetail(app, params.agentId)),
  }),
  route({ method: "POST", path: "/api/admin/agents/:agentId/disable", auth: "operator", name: "disableAgent", handler: transition("disable") }),
  route({ method: "POST", path: "/api/admin/agents/:agentId/enable", auth: "operator", name: "enableAgent", handler: transition("enable") }),
  route({ method: "POST", path: "/api/admin/agents/:agentId/revoke", auth: "operator", name: "revokeAgent", handler: transition("revoke") }),
];
