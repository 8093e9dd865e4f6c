// /agents and /agents/:id: list, detail (services, recent commands, audit), disable / enable / revoke
// with a confirmation step (a page without JavaScript, inline with htmx), and re-enrol tokens.
import { route, type Ctx } from "../../context.js";
import { agentToWire, changeAgentState, listAgentsPage, requireAgentRow } from "../../domain/agents.js";
import { createRegistrationToken } from "../../domain/registrationTokens.js";
import { AppError } from "../../errors.js";
import { redirect } from "../../http/reply.js";
import { LIST_AGENTS_ARRAYS, ListAgentsQuery } from "../../schemas/agents.js";
import { idOf, parseQuery } from "../../schemas/common.js";
import { CreateRegistrationTokenBody } from "../../schemas/registrationTokens.js";
import { AGENT_OPS, agentConfirmView, agentDetailView, agentOpOf, agentView } from "../../console/agentView.js";
import { setFlash } from "../../console/flash.js";
import { listPage } from "../../console/lists.js";
import { envSnippet } from "../../console/tokenView.js";
import { page } from "../../console/view.js";

const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

function agentId(raw: string): string {
  const id = idOf("agt").safeParse(raw);
  if (!id.success) throw new AppError("AGENT_NOT_FOUND", "no such agent");
  return id.data;
}

export const agentPages = [
  route({
    method: "GET", path: "/agents", auth: "viewer", page: true, name: "listAgentsPage", query: true,
    handler: async (ctx) => {
      const l = await listPage(ctx.query, {
        path: "/agents", filterKeys: ["q", "status", "sort"],
        parse: (q) => parseQuery(q, ListAgentsQuery, LIST_AGENTS_ARRAYS),
        list: (qy) => listAgentsPage(ctx.app, qy, qy.sort, qy.page, qy.pageSize),
      });
      return page(ctx, "agents/index", {
        rows: l.rows.map((a) => agentView(ctx.app, a)), pager: l.pager, filters: l.filters, filtered: l.filtered,
      }, { title: "Agents", nav: "agents", fragment: "agents/_rows" });
    },
  }),
  route({
    method: "GET", path: "/agents/:agentId", auth: "viewer", page: true, name: "showAgentPage",
    handler: async (ctx) => {
      const row = await requireAgentRow(ctx.app, agentId(ctx.params.agentId));
      return page(ctx, "agents/show", await agentDetailView(ctx.app, row), { title: `Agent ${row.code}`, nav: "agents" });
    },
  }),
  route({
    method: "GET", path: "/agents/:agentId/:op", auth: "operator", page: true, name: "confirmAgentChangePage",
    handler: async (ctx) => {
      const op = agentOpOf(ctx.params.op);
      const a = agentToWire(ctx.app, await requireAgentRow(ctx.app, agentId(ctx.params.agentId)));
      return page(ctx, "agents/confirm", agentConfirmView(a, op), { title: `${AGENT_OPS[op]} agent ${a.code}`, nav: "agents", fragment: "agents/_confirm" });
    },
  }),
  route({
    method: "POST", path: "/agents/:agentId/reenrol", auth: "operator", page: true, name: "reenrolAgentPage",
    handler: async (ctx) => {
      const a = await requireAgentRow(ctx.app, agentId(ctx.params.agentId));
      const input = CreateRegistrationTokenBody.parse({ name: `Re-enrol ${a.code}`, agentCode: a.code, expiresInSeconds: 86_400 });
      const t = await createRegistrationToken(ctx.app, actorOf(ctx), input, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, {
        kind: "success", message: `Re-enrol token for ${a.code} created (valid 24 h, one use). Give it to the service; its old agent token is revoked when it registers.`,
        secret: { label: "Registration token", value: t.rawToken, snippet: envSnippet(ctx, t.rawToken, a.code) },
      });
      return redirect(`/agents/${encodeURIComponent(a.id)}`);
    },
  }),
  route({
    method: "POST", path: "/agents/:agentId/:op", auth: "operator", page: true, name: "changeAgentPage",
    handler: async (ctx) => {
      const op = agentOpOf(ctx.params.op);
      const a = await changeAgentState(ctx.app, actorOf(ctx), agentId(ctx.params.agentId), op, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Agent ${a.code} is now ${a.status}.` });
      return redirect(`/agents/${encodeURIComponent(a.id)}`);
    },
  }),
];
