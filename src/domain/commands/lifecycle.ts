// Shared steps of the command lifecycle: creating a command (with its sealed secrets) and its audit,
// ending one with a synthetic result, and the wake-ups that follow any terminal transition.
import type { Actor, App } from "../../context.js";
import { insertCommandResult } from "../../db/commandResults.js";
import { dropCommandSecret } from "../../db/commandSecrets.js";
import { finishCommand, getCommand, insertCommand, type CommandRow, type CommandStatus, type NewCommand } from "../../db/commands.js";
import { newId } from "../../ids.js";
import { writeAudit } from "../audit.js";
import { announceNewCommand, announceTerminal } from "../wakeups.js";
import { requestApproval } from "../approvals/request.js";
import { storeSecrets } from "./sealedSecrets.js";
import { messageCommandEnded } from "../messages/reply.js";

export const COMMAND_TARGET = "Command";
export const SERVICE_TARGET = "CapsuleService";

/** Ends a command without an agent result (expiry, prepare timeout, lost secret). Call inside a transaction. */
export async function endWithSyntheticFailure(
  app: App, c: CommandRow, to: CommandStatus, error: { code: string; message: string },
): Promise<boolean> {
  const nowIso = app.now().toISOString();
  if (!await finishCommand(app.db, c.id, c.status, to, nowIso, error)) return false;
  await dropCommandSecret(app.db, c.id, "secrets"); // a PENDING command's sealed payload is never needed now
  await announceTerminal(app, c);
  await insertCommandResult(app.db, {
    id: newId("crs"), commandId: c.id, success: false, message: error.message, data: null,
    error: { code: error.code, message: error.message }, startedAt: c.startedAt, finishedAt: nowIso, reportedAt: nowIso, metrics: null,
  });
  await messageCommandEnded(app, c, { status: to, errorCode: error.code });
  return true;
}

/** After a terminal transition has committed: wake prepare waiters. */
export function afterTerminal(app: App, commandId: string): void {
  app.runtime.hub.notifyCommand(commandId);
}

/** A command that must be approved first: created AWAITING_APPROVAL with its approval request. */
export interface ApprovalSpec {
  requiredApprovals: number;
  /** Never one of the reviewers: the operator who asked (for bus commands: the route's creator). */
  requesterUserId: string | null;
  /** What reviewers see; built from the stored (already redacted) payload. */
  summary: Record<string, unknown>;
}

export interface CreateSpec {
  command: Omit<NewCommand, "id" | "createdAt" | "expiresAt" | "status">;
  /** Present when the action needs approval. */
  approval?: ApprovalSpec | undefined;
  secrets: Record<string, unknown>;
  actor: Actor;
  /** service.action.requested (execute) or service.action.prepared (prepare). */
  requestAction: string;
  requestMetadata: Record<string, unknown>;
  requestId?: string | undefined;
  /** More work for the command's own transaction (a MESSAGE command marks its message ROUTED in the same commit). */
  inTransaction?: ((c: NewCommand) => Promise<void>) | undefined;
}

/**
 * Inserts a PENDING command with its audit pair in one transaction, then wakes the agent's long polls
 * (this node's directly, other nodes' by NOTIFY at commit). A command that needs approval is inserted
 * AWAITING_APPROVAL with its approval request instead, and nobody is woken: nothing can claim it.
 */
export async function createCommand(app: App, spec: CreateSpec): Promise<CommandRow> {
  const now = app.now();
  const ttlSeconds = spec.approval ? app.config.approvalTtlSeconds : app.config.commandTtlSeconds;
  const c: NewCommand = {
    ...spec.command,
    id: newId("cmd", now.getTime()),
    status: spec.approval ? "AWAITING_APPROVAL" : "PENDING",
    createdAt: now.toISOString(),
    // awaiting approval: the approval's deadline (the approval sweep expires both); the pickup deadline starts at approval
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
    secretFields: Object.keys(spec.secrets),
  };
  await insertCommandTx(app, c, spec);
  if (!spec.approval) app.runtime.hub.notifyAgent(c.agentId);
  return (await getCommand(app.db, c.id))!;
}

/** The command row, its sealed secret payload fields and its audit events, committed together. */
async function insertCommandTx(app: App, c: NewCommand, spec: CreateSpec): Promise<void> {
  const { actor, requestId } = spec;
  await app.db.transaction(async () => {
    await insertCommand(app.db, c);
    // in the same commit as the row: a poll on any node that sees the command also finds its secrets
    // awaiting approval, the sealed secrets stay in command_secrets until the approved command is claimed
    if (Object.keys(spec.secrets).length > 0) await storeSecrets(app, c.id, spec.secrets, c.createdAt);
    if (!spec.approval) await announceNewCommand(app, c.agentId);
    await writeAudit(app, {
      actor, action: spec.requestAction, target: { type: SERVICE_TARGET, id: c.serviceId }, requestId,
      metadata: { commandId: c.id, actionName: c.actionName, ...spec.requestMetadata },
    });
    await writeAudit(app, {
      actor, action: "command.created", target: { type: COMMAND_TARGET, id: c.id }, requestId,
      metadata: {
        type: c.type, actionName: c.actionName, serviceId: c.serviceId, agentId: c.agentId, createdByType: c.createdByType,
        ...(c.retryOf ? { retryOf: c.retryOf } : {}), ...(c.sourceEventId ? { sourceEventId: c.sourceEventId } : {}),
      },
    });
    if (spec.inTransaction) await spec.inTransaction(c);
    if (c.retryOf) {
      await writeAudit(app, { actor, action: "command.retried", target: { type: COMMAND_TARGET, id: c.retryOf }, requestId, metadata: { newCommandId: c.id } });
    }
    if (spec.approval) await requestApproval(app, { type: "COMMAND", id: c.id }, { ...spec.approval, expiresAt: c.expiresAt }, actor, requestId);
  });
}

/** Audits a refused request (result FAILURE, metadata.errorCode) in its own transaction. */
export async function auditRefusal(
  app: App, actor: Actor, action: string, target: { type: string; id: string | null }, errorCode: string,
  metadata: Record<string, unknown>, requestId?: string,
): Promise<void> {
  await app.db.transaction(async () => {
    await writeAudit(app, { actor, action, target, result: "FAILURE", requestId, metadata: { errorCode, ...metadata } });
  });
}
