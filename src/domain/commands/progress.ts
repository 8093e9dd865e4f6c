// Agent progress (ours): latest percent/message and log lines of a running command. The answer tells
// the agent whether to stop: an operator cancelled, or the server already gave up (expired).
import type { App } from "../../context.js";
import { appendCommandLogs } from "../../db/commandLogs.js";
import { getCommand, setCommandProgress } from "../../db/commands.js";
import { AppError } from "../../errors.js";
import { redactString } from "../redact.js";
import { confirmHeld } from "./delivery.js";
import { expireOne } from "./expire.js";
import { afterTerminal } from "./lifecycle.js";
import { ownCommand } from "./result.js";

export const LOG_BOUNDS = { maxLines: 1000, maxBytes: 256 * 1024 };

export interface ProgressInput {
  agentId: string;
  commandId: string;
  /** Fraction done, 0..1. */
  percent?: number | undefined;
  message?: string | undefined;
  logs?: { at?: string | undefined; level: string; message: string }[] | undefined;
}

export async function reportProgress(app: App, input: ProgressInput): Promise<{ cancelRequested: boolean }> {
  await ownCommand(app, input.agentId, input.commandId);
  let expiredNow = false;
  const answer = await app.db.transaction(async () => {
    let c = (await getCommand(app.db, input.commandId))!;
    if (c.status === "RUNNING" && c.expiresAt <= app.now().toISOString()) {
      // past its deadline but not yet swept: the result would be refused, so stop the handler now
      expiredNow = await expireOne(app, c);
      c = (await getCommand(app.db, c.id))!;
    }
    c = await confirmHeld(app, c); // the agent holds it: its delivery is confirmed
    switch (c.status) {
      case "RUNNING": {
        if (input.percent !== undefined || input.message !== undefined) {
          await setCommandProgress(app.db, c.id, input.percent ?? null, input.message === undefined ? null : redactString(input.message));
        }
        if (input.logs?.length) {
          const nowIso = app.now().toISOString();
          const lines = input.logs.map((l) => ({ at: l.at ?? nowIso, level: l.level, message: redactString(l.message) }));
          await appendCommandLogs(app.db, c.id, lines, LOG_BOUNDS);
        }
        return { cancelRequested: c.cancelRequestedAt !== null };
      }
      // the handler's work can no longer be applied: tell the agent to stop it
      case "CANCELLED":
      case "EXPIRED":
        return { cancelRequested: true };
      case "SUCCEEDED":
      case "FAILED":
        throw new AppError("COMMAND_ALREADY_TERMINAL", "the command already has a result", { status: c.status });
      case "AWAITING_APPROVAL":
      case "PENDING":
        throw new AppError("COMMAND_INVALID_TRANSITION", "the command was never dispatched to this agent; poll for it first");
    }
  });
  if (expiredNow) afterTerminal(app, input.commandId);
  return answer;
}
