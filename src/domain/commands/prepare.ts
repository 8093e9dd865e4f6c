// Prepare: an ACTION_PREPARE command the agent answers with the action panel's initial payload and
// current state. The request waits on the command hub (no polling) up to the prepare timeout.
import type { Actor, App } from "../../context.js";
import { getCommandResult } from "../../db/commandResults.js";
import { getCommand, isTerminal, type CommandRow } from "../../db/commands.js";
import type { ActionRow } from "../../db/serviceParts.js";
import { AppError } from "../../errors.js";
import { writeAudit } from "../audit.js";
import { actionToWire } from "../services.js";
import { resolveActionTarget } from "./execute.js";
import { afterTerminal, auditRefusal, COMMAND_TARGET, createCommand, endWithSyntheticFailure, SERVICE_TARGET } from "./lifecycle.js";
import { commandDetailToWire } from "./wire.js";

export interface PrepareInput {
  serviceId: string;
  actionName: string;
  actor: Actor;
  signal?: AbortSignal | undefined;
  requestId?: string | undefined;
  /** Defaults to config.prepareTimeoutSeconds. */
  timeoutSeconds?: number | undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

export async function prepareAction(app: App, input: PrepareInput) {
  const { actor, requestId } = input;
  let command: CommandRow;
  let action: ActionRow;
  let seen: number;
  try {
    const target = await resolveActionTarget(app, input.serviceId, input.actionName);
    action = target.action;
    seen = app.runtime.hub.commandNotifications; // a fast agent may finish before the wait below registers
    command = await createCommand(app, {
      command: {
        agentId: target.agent.id, serviceId: target.service.id, type: "ACTION_PREPARE", actionName: action.name, payload: {},
        secretFields: null, createdByUserId: actor.type === "USER" ? actor.id : null, createdByType: "USER",
        retryOf: null, sourceEventId: null, timeoutSeconds: action.timeoutSeconds,
      },
      secrets: {}, actor, requestAction: "service.action.prepared", requestMetadata: {}, requestId,
    });
  } catch (err) {
    if (err instanceof AppError) {
      await auditRefusal(app, actor, "service.action.prepared", { type: SERVICE_TARGET, id: input.serviceId }, err.code, { actionName: input.actionName, message: err.message }, requestId);
    }
    throw err;
  }

  const timeoutMs = (input.timeoutSeconds ?? app.config.prepareTimeoutSeconds) * 1000;
  const deadline = Date.now() + timeoutMs;
  let done: CommandRow;
  for (;;) {
    const woken = await app.runtime.hub.waitForCommand(command.id, deadline - Date.now(), input.signal, seen);
    seen = app.runtime.hub.commandNotifications;
    // Woken or not, the stored state decides: a result may have landed just as the wait ended.
    done = (await getCommand(app.db, command.id))!;
    // woken for another command (see CommandHub.commandNotifications): wait out the rest of the window
    if (!woken || isTerminal(done.status)) break;
  }
  const result = await getCommandResult(app.db, done.id);
  if (done.status === "SUCCEEDED" && result) {
    const data = isObj(result.data) ? result.data : {};
    const inputSchema = isObj(data.inputSchema) ? data.inputSchema : action.inputSchema;
    return {
      action: actionToWire(action),
      initialPayload: isObj(data.initialPayload) ? data.initialPayload : {},
      ...(isObj(data.currentState) ? { currentState: data.currentState } : {}),
      ...(inputSchema ? { inputSchema } : {}),
      prepareCommand: commandDetailToWire(done, result),
    };
  }
  if (done.status === "PENDING" || done.status === "RUNNING") await timeOut(app, done, actor, requestId);
  const failed = (await getCommand(app.db, command.id))!;
  if (failed.errorCode === "ACTION_PREPARE_TIMEOUT") {
    throw new AppError("ACTION_PREPARE_TIMEOUT", `the agent did not answer the prepare request within ${timeoutMs / 1000} s`, { commandId: failed.id });
  }
  await app.db.transaction(async () => {
    await writeAudit(app, {
      actor, action: "command.prepare.failed", target: { type: COMMAND_TARGET, id: failed.id }, result: "FAILURE", requestId,
      metadata: { actionName: failed.actionName, status: failed.status, errorCode: failed.errorCode ?? "ACTION_PREPARE_FAILED" },
    });
  });
  throw new AppError("ACTION_PREPARE_FAILED", failed.errorMessage ?? `the agent could not prepare the action (${failed.status})`, {
    commandId: failed.id, status: failed.status, errorCode: failed.errorCode,
  });
}

/** Nobody will read a late prepare answer: end the command so the agent does not run it later. */
async function timeOut(app: App, c: CommandRow, actor: Actor, requestId?: string): Promise<void> {
  const message = "the agent did not answer the prepare request in time";
  const ended = await app.db.transaction(async () => {
    if (!await endWithSyntheticFailure(app, c, "EXPIRED", { code: "ACTION_PREPARE_TIMEOUT", message })) return false;
    await writeAudit(app, {
      actor, action: "command.prepare.timeout", target: { type: COMMAND_TARGET, id: c.id }, result: "FAILURE", requestId, message,
      metadata: { actionName: c.actionName, from: c.status, errorCode: "ACTION_PREPARE_TIMEOUT" },
    });
    return true;
  });
  if (ended) {
    app.runtime.counters.actionPrepareTimeouts++;
    afterTerminal(app, c.id);
  }
}
