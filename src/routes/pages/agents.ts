// /agents and /agents/:id: list, detail (services, recent commands, audit), disable / enable / revoke
// with a confirmation step (a page without JavaScript, inline with htmx), and re-enrol tokens.
import { route, type Ctx } from "../../context.js";
import { listServicesOfAgent } from "../../db/services.js";
import { agentToWire, changeAgentState, listAgentsPage, requireAgentRow } from "../../domain/agents.js";
import { listCommandsWire } from "../../domain/commands/queries.js";
import { createRegistrationToken } from "../../domain/registrationTokens.js";
import { serviceToWire } from "../../domain/services.js";
import { AppError } from "../../errors.js";
import { redirect } from "../../http/reply.js";
import { LIST_AGENTS_ARRAYS, ListAgentsQuery } from "../../schemas/agents.js";
import { idOf, parseQuery } from "../../schemas/common.js";
import { CreateRegistrationTokenBody } from "../../schemas/registrationTokens.js";
import { recentAuditFor } from "../../console/auditView.js";
import { commandRowView } from "../../console/commandView.js";
import { setFlash } from "../../console/flash.js";
import { badge, when } from "../../console/format.js";
import { cleanQuery, filterValues, pager } from "../../console/lists.js";
import { namesFor } from "../../console/names.js";
import { serviceRowView } from "../../console/serviceView.js";
import { page } from "../../console/view.js";
import { envSnippet } from "./tokens.js";

type AgentWire = ReturnType<typeof agentToWire>;
const OPS = { disable: "Disable", enable: "Enable", revoke: "Revoke" } as const;
type Op = keyof typeof OPS;
const CONSEQUENCE: Record<Op, string> = {
  disable: "It can no longer receive commands; its services show OFFLINE until you enable it again.",
  enable: "It may receive commands again as soon as it is online.",
  revoke: "Its agent tokens stop working at once. It can only come back through a registration token bound to its code (re-enrol).",
};

const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

function agentId(raw: string): string {
  const id = idOf("agt").safeParse(raw);
  if (!id.success) throw new AppError("AGENT_NOT_FOUND", "no such agent");
  return id.data;
}

function opOf(raw: string): Op {
  // own keys only: "constructor" or "hasOwnProperty" are in every object (and used to enable an agent)
  if (!Object.hasOwn(OPS, raw)) throw new AppError("NOT_FOUND", "no such page");
  return raw as Op;
}

function agentView(ctx: Ctx<unknown>, a: AgentWire) {
  const now = ctx.app.now();
  return {
    id: a.id, href: `/agents/${encodeURIComponent(a.id)}`, code: a.code, name: a.name ?? "", status: badge(a.status), reason: a.statusReason,
    runtime: a.runtime ?? "", version: a.version ?? "", host: [a.hostname, a.os, a.arch].filter(Boolean).join(" · "),
    lastSeen: when(a.lastSeenAt, now), registered: when(a.registeredAt, now),
    ops: (Object.keys(OPS) as Op[]).filter((op) => (op === "enable" ? a.storedStatus === "DISABLED" : op === "disable" ? !["DISABLED", "REVOKED"].includes(a.storedStatus) : a.storedStatus !== "REVOKED"))
      .map((op) => ({ op, label: OPS[op], href: `/agents/${encodeURIComponent(a.id)}/${op}` })),
  };
}

export const agentPages = [
  route({
    method: "GET", path: "/agents", auth: "viewer", page: true, name: "listAgentsPage", query: true,
    handler: (ctx) => {
      const query = cleanQuery(ctx.query);
      const qy = parseQuery(query, ListAgentsQuery, LIST_AGENTS_ARRAYS);
      const { rows, pagination } = listAgentsPage(ctx.app, qy, qy.sort, qy.page, qy.pageSize);
      return page(ctx, "agents/index", {
        rows: rows.map((a) => agentView(ctx, a)),
        pager: pager("/agents", query, qy.page, qy.pageSize, pagination.total),
        filters: filterValues(query, ["q", "status", "sort"]),
        filtered: [...query.keys()].some((k) => k !== "page"),
      }, { title: "Agents", nav: "agents", fragment: "agents/_rows" });
    },
  }),
  route({
    method: "GET", path: "/agents/:agentId", auth: "viewer", page: true, name: "showAgentPage",
    handler: (ctx) => {
      const { app } = ctx;
      const row = requireAgentRow(app, agentId(ctx.params.agentId));
      const names = namesFor(app);
      return page(ctx, "agents/show", {
        agent: agentView(ctx, agentToWire(app, row)),
        services: listServicesOfAgent(app.db, row.id).map((s) => serviceRowView(app, serviceToWire(app, s, row))),
        commands: listCommandsWire(app, { agentId: [row.id] }, [{ field: "createdAt", desc: true }], 1, 10).data.map((c) => commandRowView(app, c, names)),
        audit: recentAuditFor(app, { targetId: [row.id] }, 20),
      }, { title: `Agent ${row.code}`, nav: "agents" });
    },
  }),
  route({
    method: "GET", path: "/agents/:agentId/:op", auth: "operator", page: true, name: "confirmAgentChangePage",
    handler: (ctx) => {
      const op = opOf(ctx.params.op);
      const a = agentToWire(ctx.app, requireAgentRow(ctx.app, agentId(ctx.params.agentId)));
      return page(ctx, "agents/confirm", {
        op, label: OPS[op], consequence: CONSEQUENCE[op], agent: { id: a.id, code: a.code, name: a.name ?? "", href: `/agents/${encodeURIComponent(a.id)}` },
      }, { title: `${OPS[op]} agent ${a.code}`, nav: "agents", fragment: "agents/_confirm" });
    },
  }),
  route({
    method: "POST", path: "/agents/:agentId/reenrol", auth: "operator", page: true, name: "reenrolAgentPage",
    handler: (ctx) => {
      const a = requireAgentRow(ctx.app, agentId(ctx.params.agentId));
      const input = CreateRegistrationTokenBody.parse({ name: `Re-enrol ${a.code}`, agentCode: a.code, expiresInSeconds: 86_400 });
      const t = createRegistrationToken(ctx.app, actorOf(ctx), input, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, {
        kind: "success", message: `Re-enrol token for ${a.code} created (valid 24 h, one use). Give it to the service; its old agent token is revoked when it registers.`,
        secret: { label: "Registration token", value: t.rawToken, snippet: envSnippet(ctx, t.rawToken, a.code) },
      });
      return redirect(`/agents/${encodeURIComponent(a.id)}`);
    },
  }),
  route({
    method: "POST", path: "/agents/:agentId/:op", auth: "operator", page: true, name: "changeAgentPage",
    handler: (ctx) => {
      const op = opOf(ctx.params.op);
      const a = changeAgentState(ctx.app, actorOf(ctx), agentId(ctx.params.agentId), op, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Agent ${a.code} is now ${a.status}.` });
      return redirect(`/agents/${encodeURIComponent(a.id)}`);
    },
  }),
];
