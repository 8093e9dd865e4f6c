// Agent result: RUNNING -> SUCCEEDED / FAILED with the CommandResult and its audit in one transaction.
// Repeats are idempotent, late results (expired, cancelled) are audited but never applied.
import type { Actor, App } from "../../context.js";
import { getCommandResult, insertCommandResult } from "../../db/commandResults.js";
import { finishCommand, getCommand, type CommandRow } from "../../db/commands.js";
import { AppError } from "../../errors.js";
import { GENERATED_KEY_MAX_BYTES, storeGeneratedKey } from "./sealedSecrets.js";
import { newId } from "../../ids.js";
import { writeAudit } from "../audit.js";
import { redact, REDACTED } from "../redact.js";
import { confirmHeld } from "./delivery.js";
import { expireOne } from "./expire.js";
import { afterTerminal, COMMAND_TARGET } from "./lifecycle.js";
import { announceTerminal } from "../wakeups.js";
import { messageCommandEnded } from "../messages/reply.js";

export type ResultMetrics = { attempts: number; durationMs: number; cpuUserMs: number; cpuSystemMs: number; peakHeapMb?: number | undefined };

export interface ResultInput {
  agentId: string;
  commandId: string;
  success: boolean;
  message?: string | undefined;
  data?: Record<string, unknown> | undefined;
  error?: ({ code?: string | undefined; message?: string | undefined } & Record<string, unknown>) | undefined;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  /** The agent's execution trace; validated and bounded by the route's schema. */
  metrics?: ResultMetrics | undefined;
  requestId?: string | undefined;
}

/** applied: the result was stored now; idempotent: an identical repeat; ignored: late for a cancelled command. */
export type ResultOutcome = { applied: boolean; idempotent?: true; ignored?: "CANCELLED" };

const byteSize = (v: unknown): number => (v === undefined ? 0 : Buffer.byteLength(JSON.stringify(v)));

/** The one command of this agent; another agent's command is indistinguishable from a missing one. */
export async function ownCommand(app: App, agentId: string, commandId: string): Promise<CommandRow> {
  const c = await getCommand(app.db, commandId);
  if (!c || c.agentId !== agentId) throw new AppError("COMMAND_NOT_FOUND", "no such command for this agent");
  return c;
}

export async function reportResult(app: App, input: ResultInput): Promise<ResultOutcome> {
  const { requestId } = input;
  const actor: Actor = { type: "AGENT", id: input.agentId };
  await ownCommand(app, input.agentId, input.commandId);
  const size = byteSize(input.message) + byteSize(input.data) + byteSize(input.error);
  if (size > app.config.commandResultMaxBytes) {
    app.runtime.counters.oversizedCommandResultsRejected++;
    throw new AppError("COMMAND_RESULT_TOO_LARGE", `message + data + error is ${size} bytes; the limit is ${app.config.commandResultMaxBytes}`, {
      sizeBytes: size, limitBytes: app.config.commandResultMaxBytes,
    });
  }
  const rawKey = input.data?.generatedKey;
  const keyText = rawKey === undefined || rawKey === null ? undefined : typeof rawKey === "string" ? rawKey : JSON.stringify(rawKey);
  if (keyText !== undefined && Buffer.byteLength(keyText) > GENERATED_KEY_MAX_BYTES) {
    // refused rather than dropped: the agent learns now, while it can still report a failure instead
    throw new AppError("COMMAND_RESULT_TOO_LARGE", `data.generatedKey is ${Buffer.byteLength(keyText)} bytes; the limit is ${GENERATED_KEY_MAX_BYTES}`, {
      field: "data.generatedKey", sizeBytes: Buffer.byteLength(keyText), limitBytes: GENERATED_KEY_MAX_BYTES,
    });
  }
  const failureCode = input.success ? null : input.error?.code || "ACTION_FAILED";
  let expiredNow = false;

  const outcome = await app.db.transaction(async (): Promise<ResultOutcome | "EXPIRED"> => {
    let c = (await getCommand(app.db, input.commandId))!;
    const nowIso = app.now().toISOString();
    if (c.status === "RUNNING" && c.expiresAt <= nowIso) {
      // the deadline passed before the sweep ran: expire now so the answer does not depend on sweep timing
      expiredNow = await expireOne(app, c, requestId);
      c = (await getCommand(app.db, c.id))!;
    }
    c = await confirmHeld(app, c); // a result confirms the delivery too (and takes back a command queued again)
    switch (c.status) {
      case "RUNNING": {
        const to = input.success ? "SUCCEEDED" : "FAILED";
        const errorMessage = input.success ? null : (input.error?.message ?? input.message ?? null);
        await finishCommand(app.db, c.id, "RUNNING", to, nowIso, failureCode ? { code: failureCode, message: errorMessage } : null);
        await announceTerminal(app, c);
        let data = input.data ? redact(input.data) : null;
        if (data && keyText !== undefined) {
          // sealed in the result's own commit: any node can reveal it the moment the result is visible
          await storeGeneratedKey(app, c.id, keyText, c.createdByUserId, nowIso);
          data = { ...data, generatedKey: REDACTED };
        }
        const error = input.error ? redact({ ...input.error, code: failureCode ?? input.error.code }) : failureCode ? { code: failureCode, message: errorMessage } : null;
        await insertCommandResult(app.db, {
          id: newId("crs"), commandId: c.id, success: input.success, message: input.message ?? null, data, error,
          startedAt: input.startedAt ?? c.startedAt, finishedAt: input.finishedAt ?? nowIso, reportedAt: nowIso,
          metrics: input.metrics ? storedMetrics(input.metrics) : null,
        });
        await messageCommandEnded(app, c, { status: to, data: input.data, errorCode: failureCode });
        await writeAudit(app, {
          actor, action: input.success ? "command.completed" : "command.failed", target: { type: COMMAND_TARGET, id: c.id },
          result: input.success ? "SUCCESS" : "FAILURE", requestId, message: input.message,
          metadata: { actionName: c.actionName, type: c.type, ...(failureCode ? { errorCode: failureCode } : {}) },
        });
        return { applied: true };
      }
      case "SUCCEEDED":
      case "FAILED": {
        const prior = await getCommandResult(app.db, c.id);
        const same = prior && prior.success === input.success && (input.success || c.errorCode === failureCode);
        if (same) return { applied: false, idempotent: true };
        throw new AppError("COMMAND_ALREADY_TERMINAL", `the command already ${c.status === "SUCCEEDED" ? "succeeded" : "failed"} with a different outcome`, { status: c.status });
      }
      case "EXPIRED":
      case "CANCELLED":
        await writeAudit(app, {
          actor, action: "command.result.late", target: { type: COMMAND_TARGET, id: c.id }, result: "FAILURE", requestId,
          message: `result arrived after the command was ${c.status.toLowerCase()}; not applied`,
          metadata: { status: c.status, reportedSuccess: input.success, ...(failureCode ? { reportedErrorCode: failureCode } : {}) },
        });
        return c.status === "EXPIRED" ? "EXPIRED" : { applied: false, ignored: "CANCELLED" };
      case "AWAITING_APPROVAL":
      case "PENDING":
        throw new AppError("COMMAND_INVALID_TRANSITION", "the command was never dispatched to this agent; poll for it first");
    }
  });

  if (expiredNow) afterTerminal(app, input.commandId);
  if (outcome === "EXPIRED") throw new AppError("COMMAND_EXPIRED", "the command expired before its result arrived; the result was recorded in the audit log only");
  if (outcome.applied) afterTerminal(app, input.commandId);
  return outcome;
}

/** Only the known keys, in a fixed order (the schema already bounded each value). */
function storedMetrics(m: ResultMetrics): Record<string, number> {
  const out: Record<string, number> = { attempts: m.attempts, durationMs: m.durationMs, cpuUserMs: m.cpuUserMs, cpuSystemMs: m.cpuSystemMs };
  if (m.peakHeapMb !== undefined) out.peakHeapMb = m.peakHeapMb;
  return out;
}
