// Operator cancel: PENDING and RUNNING commands become CANCELLED at once. A running handler learns it
// from the answer to its next progress call; a result it still sends is audited, not applied.
import type { Actor, App } from "../../context.js";
import { dropCommandSecret } from "../../db/commandSecrets.js";
import { cancelCommand, getCommand, isTerminal, type CommandRow } from "../../db/commands.js";
import { AppError } from "../../errors.js";
import { closeApprovalOf } from "../approvals/request.js";
import { writeAudit } from "../audit.js";
import { messageCommandEnded } from "../messages/reply.js";
import { afterTerminal, auditRefusal, COMMAND_TARGET } from "./lifecycle.js";
import { announceTerminal } from "../wakeups.js";

/** Only a command that has not finished can be cancelled (the console offers Cancel exactly then). */
export const isCancellable = (status: CommandRow["status"]): boolean => !isTerminal(status);

export async function cancelCommandById(app: App, actor: Actor, commandId: string, requestId?: string): Promise<CommandRow> {
  try {
    const c = await app.db.transaction(async () => {
      const c = await getCommand(app.db, commandId);
      if (!c) throw new AppError("COMMAND_NOT_FOUND", "no such command");
      if (!isCancellable(c.status)) {
        throw new AppError("COMMAND_NOT_CANCELLABLE", `the command is already ${c.status}`, { status: c.status });
      }
      if (!await cancelCommand(app.db, c.id, c.status, app.now().toISOString())) {
        throw new AppError("COMMAND_NOT_CANCELLABLE", "the command changed state meanwhile; reload it");
      }
      await dropCommandSecret(app.db, c.id, "secrets"); // a cancelled PENDING command is never dispatched
      // a command cancelled while awaiting approval takes its approval request with it
      if (c.status === "AWAITING_APPROVAL") await closeApprovalOf(app, { type: "COMMAND", id: c.id }, "CANCELLED", actor, "the command was cancelled", requestId);
      await announceTerminal(app, c);
      await messageCommandEnded(app, c, { status: "CANCELLED", errorCode: "CANCELLED" });
      await writeAudit(app, {
        actor, action: "command.cancelled", target: { type: COMMAND_TARGET, id: c.id }, requestId,
        metadata: { from: c.status, actionName: c.actionName, type: c.type, agentId: c.agentId },
      });
      return (await getCommand(app.db, c.id))!;
    });
    afterTerminal(app, c.id);
    return c;
  } catch (err) {
    if (err instanceof AppError && err.code !== "COMMAND_NOT_FOUND") {
      await auditRefusal(app, actor, "command.cancelled", { type: COMMAND_TARGET, id: commandId }, err.code, { message: err.message }, requestId);
    }
    throw err;
  }
}
