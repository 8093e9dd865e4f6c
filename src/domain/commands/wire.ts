// Wire shapes of commands: the reference Command / CommandDetail / CommandResult plus our additive fields.
import type { CommandLogRow } from "../../db/commandLogs.js";
import type { CommandResultRow } from "../../db/commandResults.js";
import type { CommandRow } from "../../db/commands.js";
import { redact } from "../redact.js";

/** Admin view of a command. Payload is redacted (secret fields are already "[REDACTED]" at rest). */
export function commandToWire(c: CommandRow) {
  return {
    id: c.id,
    agentId: c.agentId,
    serviceId: c.serviceId,
    type: c.type,
    actionName: c.actionName,
    status: c.status,
    payload: redact(c.payload),
    createdByUserId: c.createdByUserId,
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    completedAt: c.completedAt,
    expiresAt: c.expiresAt,
    // ours
    retryOf: c.retryOf,
    errorCode: c.errorCode,
    errorMessage: c.errorMessage,
    progress: { percent: c.progressPercent, message: c.progressMessage },
    cancelRequested: c.cancelRequestedAt !== null,
    cancelRequestedAt: c.cancelRequestedAt,
    createdByType: c.createdByType,
    sourceEventId: c.sourceEventId,
    timeoutSeconds: c.timeoutSeconds,
    logsCount: c.logCount,
    secretFields: c.secretFields ?? [],
    // the upstream (Opstage v0.4) console shows it: completedAt - startedAt, null until both exist
    durationMs: c.startedAt && c.completedAt ? Math.max(0, Date.parse(c.completedAt) - Date.parse(c.startedAt)) : null,
  };
}

/**
 * The reference CommandResult (data/error omitted when absent, since the schema types them as objects)
 * plus the agent's startedAt/finishedAt. `revealedKey` is the one-time generatedKey for the first reader.
 */
export function resultToWire(r: CommandResultRow, revealedKey?: string) {
  const data = r.data ? redact(r.data) : null;
  if (data && revealedKey !== undefined) data.generatedKey = revealedKey;
  return {
    id: r.id,
    commandId: r.commandId,
    success: r.success,
    message: r.message,
    ...(data ? { data } : {}),
    ...(r.error ? { error: redact(r.error) } : {}),
    reportedAt: r.reportedAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    // ours (issue #20): the agent's execution trace, when it sent one
    ...(r.metrics ? { metrics: r.metrics } : {}),
  };
}

export function commandDetailToWire(c: CommandRow, result: CommandResultRow | undefined, revealedKey?: string) {
  return { ...commandToWire(c), ...(result ? { result: resultToWire(result, revealedKey) } : {}) };
}

/** What a polling agent receives: the reference Command with the raw payload (secrets merged back). */
export function agentCommandToWire(c: CommandRow, payload: Record<string, unknown>) {
  return {
    id: c.id,
    agentId: c.agentId,
    serviceId: c.serviceId,
    type: c.type,
    actionName: c.actionName,
    payload,
    status: c.status,
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    expiresAt: c.expiresAt,
    timeoutSeconds: c.timeoutSeconds,
  };
}

export const logToWire = (l: CommandLogRow) => ({ id: l.id, at: l.at, level: l.level, message: l.message });
