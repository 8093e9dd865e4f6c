// Retry: a terminal ACTION_EXECUTE command is copied into a new PENDING one (retryOf) through the same
// checks as an execute, confirmation included. Commands with secret fields cannot be replayed: the
// values were never stored.
import type { Actor, App } from "../../context.js";
import { getCommand, isTerminal, type CommandRow } from "../../db/commands.js";
import { AppError } from "../../errors.js";
import { executeAction } from "./execute.js";
import { auditRefusal, COMMAND_TARGET } from "./lifecycle.js";

export function retryCommand(app: App, actor: Actor, commandId: string, confirmation: boolean | undefined, requestId?: string): CommandRow {
  const original = getCommand(app.db, commandId);
  if (!original) throw new AppError("COMMAND_NOT_FOUND", "no such command");
  const refuse = (message: string, details: Record<string, unknown>): never => {
    const err = new AppError("COMMAND_NOT_RETRYABLE", message, details);
    auditRefusal(app, actor, "command.retried", { type: COMMAND_TARGET, id: commandId }, err.code, { message, ...details }, requestId);
    throw err;
  };
  if (original.type !== "ACTION_EXECUTE") refuse("prepare commands are not retryable; open the action again", { type: original.type });
  if (!isTerminal(original.status)) refuse(`the command is still ${original.status}; cancel it or wait for its result`, { status: original.status });
  if (original.secretFields?.length) {
    refuse("the command had secret fields whose values were never stored; run the action again and enter them", {
      secretFields: original.secretFields,
    });
  }
  return executeAction(app, {
    serviceId: original.serviceId, actionName: original.actionName, payload: original.payload, confirmation,
    actor, createdByType: "USER", retryOf: original.id, requestId,
  });
}
