// Execute: turns an operator's (or a bus route's) request into a PENDING ACTION_EXECUTE command,
// after the checks of the contract in their fixed order; an action that needs approval gets an
// AWAITING_APPROVAL command and its approval request instead (every path: API, console, retry, bus).
// Every refusal is audited as a FAILURE.
import type { Actor, App } from "../../context.js";
import { getAgent, type AgentRow } from "../../db/agents.js";
import type { CommandCreator, CommandRow } from "../../db/commands.js";
import { getService, type ServiceRow } from "../../db/services.js";
import { getActionDefinition, type ActionRow } from "../../db/serviceParts.js";
import { AppError } from "../../errors.js";
import { isAgentAvailable } from "../agents.js";
import { auditRefusal, createCommand, SERVICE_TARGET } from "./lifecycle.js";
import { requiredApprovals } from "../approvals/policy.js";
import { redact } from "../redact.js";
import { checkPayload } from "./payload.js";
import { notApprovedReason } from "../status.js";

export interface ActionTarget {
  service: ServiceRow;
  agent: AgentRow;
  action: ActionRow;
}

/**
 * Service 404 -> agent usable 409 -> package approved 409 (CAPSTAN_PACKAGE_POLICY=enforce) -> action 404
 * -> enabled 403 (shared by execute, prepare, retry and bus routes, which so skip a QUARANTINED service).
 */
export async function resolveActionTarget(app: App, serviceId: string, actionName: string): Promise<ActionTarget> {
  const service = await getService(app.db, serviceId);
  if (!service) throw new AppError("CAPSULE_SERVICE_NOT_FOUND", "no such capsule service");
  const agent = service.agentId ? await getAgent(app.db, service.agentId) : undefined;
  if (!agent || !isAgentAvailable(app, agent)) {
    throw new AppError("AGENT_NOT_AVAILABLE", "the service's agent is offline, disabled or revoked; it cannot receive commands now", {
      agentId: service.agentId, agentStatus: agent?.status ?? null,
    });
  }
  if (app.config.packagePolicy === "enforce" && !service.packageApproved) {
    throw new AppError("PACKAGE_NOT_APPROVED", `the service is QUARANTINED: ${notApprovedReason(service, agent)}; an owner must approve an install request first`, {
      package: service.packageName, version: service.packageVersion, digest: service.packageDigest, agentId: agent.id,
    });
  }
  const action = await getActionDefinition(app.db, service.id, actionName);
  if (!action) throw new AppError("ACTION_NOT_FOUND", `the service declares no action named ${actionName}`);
  if (!action.enabled) throw new AppError("ACTION_DISABLED", "this action is disabled by the service");
  return { service, agent, action };
}

/** Confirm-required actions, and every HIGH or CRITICAL one, need confirmation: true. */
export const needsConfirmation = (a: Pick<ActionRow, "requiresConfirmation" | "dangerLevel">): boolean =>
  a.requiresConfirmation || a.dangerLevel === "HIGH" || a.dangerLevel === "CRITICAL";

export interface ExecuteInput {
  serviceId: string;
  actionName: string;
  payload?: Record<string, unknown> | undefined;
  confirmation?: boolean | undefined;
  actor: Actor;
  /** USER for operators (default), BUS for route-created commands, SYSTEM for internal ones. */
  createdByType?: CommandCreator | undefined;
  sourceEventId?: string | null | undefined;
  retryOf?: string | null | undefined;
  /** Who asked, for an action that needs approval (never one of its reviewers); defaults to a USER actor. Bus: the route's creator. */
  requesterUserId?: string | null | undefined;
  requestId?: string | undefined;
}

export async function executeAction(app: App, input: ExecuteInput): Promise<CommandRow> {
  const { actor, requestId } = input;
  try {
    const { service, agent, action } = await resolveActionTarget(app, input.serviceId, input.actionName);
    if (needsConfirmation(action) && input.confirmation !== true) {
      throw new AppError("ACTION_REQUIRES_CONFIRMATION", `${action.label} (${action.dangerLevel}) must be confirmed: send confirmation: true`, {
        dangerLevel: action.dangerLevel, requiresConfirmation: action.requiresConfirmation,
      });
    }
    const checked = checkPayload(action.inputSchema, input.payload ?? {});
    const approvals = await requiredApprovals(app, service, action);
    return await createCommand(app, {
      command: {
        agentId: agent.id, serviceId: service.id, type: "ACTION_EXECUTE", actionName: action.name, payload: checked.stored,
        secretFields: null, createdByUserId: actor.type === "USER" ? actor.id : null, createdByType: input.createdByType ?? "USER",
        retryOf: input.retryOf ?? null, sourceEventId: input.sourceEventId ?? null, timeoutSeconds: action.timeoutSeconds,
      },
      secrets: checked.secrets,
      approval: approvals > 0 ? {
        requiredApprovals: approvals,
        requesterUserId: input.requesterUserId !== undefined ? input.requesterUserId : actor.type === "USER" ? actor.id : null,
        // reviewers see the stored payload (secret fields already "[REDACTED]"), redacted once more by key name
        summary: {
          actionName: action.name, actionLabel: action.label, dangerLevel: action.dangerLevel, serviceId: service.id,
          serviceCode: service.code, serviceName: service.name, payload: redact(checked.stored),
          createdByType: input.createdByType ?? "USER", ...(input.retryOf ? { retryOf: input.retryOf } : {}),
          ...(input.sourceEventId ? { sourceEventId: input.sourceEventId } : {}),
        },
      } : undefined,
      actor,
      requestAction: "service.action.requested",
      requestMetadata: { dangerLevel: action.dangerLevel, confirmation: input.confirmation === true, payload: checked.stored },
      requestId,
    });
  } catch (err) {
    if (err instanceof AppError) {
      await auditRefusal(app, actor, "service.action.requested", { type: SERVICE_TARGET, id: input.serviceId }, err.code, {
        actionName: input.actionName, message: err.message, ...(input.retryOf ? { retryOf: input.retryOf } : {}),
        ...(err.details?.issues ? { issues: err.details.issues } : {}),
      }, requestId);
    }
    throw err;
  }
}
