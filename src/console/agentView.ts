// Agents as the console shows them: list rows, the detail page, and the confirmation step of an
// operator transition. Which transitions are offered is the domain's rule (allowedAgentTransitions).
import type { App } from "../context.js";
import { agentToWire, allowedAgentTransitions, type AgentTransition, type AgentWire } from "../domain/agents.js";
import { listCommandsWire } from "../domain/commands/queries.js";
import { servicesOfAgent } from "../domain/services.js";
import { AppError } from "../errors.js";
import { recentAuditFor } from "./auditView.js";
import { commandRowsView } from "./commandView.js";
import { badge, when } from "./format.js";
import { serviceRowView } from "./serviceView.js";

type AgentRow = Parameters<typeof agentToWire>[1];

export const AGENT_OPS: Record<AgentTransition, string> = { disable: "Disable", enable: "Enable", revoke: "Revoke" };
const CONSEQUENCE: Record<AgentTransition, string> = {
  disable: "It can no longer receive commands; its services show OFFLINE until you enable it again.",
  enable: "It may receive commands again as soon as it is online.",
  revoke: "Its agent tokens stop working at once. It can only come back through a registration token bound to its code (re-enrol).",
};

/** How an agent relates to its services: an OpHub (upstream v0.3) governs several from outside them. */
const MODE_LABELS: Record<string, string> = {
  embedded: "embedded (SDK inside the service)", sidecar: "sidecar", external: "external", ophub: "ophub (governs several local services)",
};

/** The transition named by a URL segment; anything else is no page at all. */
export function agentOpOf(raw: string): AgentTransition {
  if (!Object.hasOwn(AGENT_OPS, raw)) throw new AppError("NOT_FOUND", "no such page");
  return raw as AgentTransition;
}

export function agentView(app: App, a: AgentWire) {
  const now = app.now();
  const href = `/agents/${encodeURIComponent(a.id)}`;
  return {
    id: a.id, href, code: a.code, name: a.name ?? "", status: badge(a.status), reason: a.statusReason, mode: MODE_LABELS[a.mode] ?? a.mode,
    runtime: a.runtime ?? "", version: a.version ?? "", host: [a.hostname, a.os, a.arch].filter(Boolean).join(" · "),
    lastSeen: when(a.lastSeenAt, now), registered: when(a.registeredAt, now),
    ops: allowedAgentTransitions(a.storedStatus).map((op) => ({ op, label: AGENT_OPS[op], href: `${href}/${op}` })),
  };
}

/** The detail page: the agent, its services, its latest commands and audit events. */
export async function agentDetailView(app: App, row: AgentRow) {
  return {
    agent: agentView(app, agentToWire(app, row)),
    // every service the agent governs (an OpHub has several), each with its effective status and the agent's mode
    services: (await servicesOfAgent(app, row)).map((s) => ({ ...serviceRowView(app, s), mode: row.mode })),
    commands: await commandRowsView(app, (await listCommandsWire(app, { agentId: [row.id] }, [{ field: "createdAt", desc: true }], 1, 10)).data),
    audit: await recentAuditFor(app, { targetId: [row.id] }, 20),
  };
}

export function agentConfirmView(a: AgentWire, op: AgentTransition) {
  return { op, label: AGENT_OPS[op], consequence: CONSEQUENCE[op], agent: { id: a.id, code: a.code, name: a.name ?? "", href: `/agents/${encodeURIComponent(a.id)}` } };
}
