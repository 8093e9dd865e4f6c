// Retry: a terminal ACTION_EXECUTE command is copied into a new PENDING one (retryOf) through the same
// checks as an execute, confirmation included. Commands with secret fields cannot be replayed: their
// sealed values are deleted when the agent takes them (or the command ends).
import type { Actor, App } from "../../context.js";
import { getCommand, isTerminal, type CommandRow } from "../../db/commands.js";
import { AppError } from "../../errors.js";
import { executeAction } from "./execute.js";
import { auditRefusal, COMMAND_TARGET } from "./lifecycle.js";

type Retryable = Pick<CommandRow, "type" | "status" | "secretFields">;

/** Why a command cannot be retried, or null when it can (the console offers Retry exactly then). */
export function retryRefusal(c: Retryable): { message: string; details: Record<string, unknown> } | null {
  if (c.type !== "ACTION_EXECUTE") return { message: "prepare commands are not retryable; open the action again", details: { type: c.type } };
  if (!isTerminal(c.status)) return { message: `the command is still ${c.status}; cancel it or wait for its result`, details: { status: c.status } };
  if (c.secretFields?.length) {
    return {
      message: "the command had secret fields whose values are not kept after dispatch; run the action again and enter them",
      details: { secretFields: c.secretFields },
    };
  }
  return null;
}

export async function retryCommand(app: App, actor: Actor, commandId: string, confirmation: boolean | undefined, requestId?: string): Promise<CommandRow> {
  const original = await getCommand(app.db, commandId);
  if (!original) throw new AppError("COMMAND_NOT_FOUND", "no such command");
  const refusal = retryRefusal(original);
  if (refusal) {
    const err = new AppError("COMMAND_NOT_RETRYABLE", refusal.message, refusal.details);
    await auditRefusal(app, actor, "command.retried", { type: COMMAND_TARGET, id: commandId }, err.code, { message: refusal.message, ...refusal.details }, requestId);
    throw err;
  }
  return executeAction(app, {
    serviceId: original.serviceId, actionName: original.actionName, payload: original.payload, confirmation,
    actor, createdByType: "USER", retryOf: original.id, requestId,
  });
}
