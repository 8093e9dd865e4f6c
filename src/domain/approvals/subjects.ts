// What a decision does to the subject of an approval request. One handler per subject type: the
// catalog's package approvals add theirs here. Each runs inside the decision's transaction and
// returns what must happen after the commit (wake-ups: never for a transaction that rolls back).
import type { Role } from "../../auth/roles.js";
import type { Actor, App } from "../../context.js";
import { getCommand, releaseCommand } from "../../db/commands.js";
import { AppError } from "../../errors.js";
import { writeAudit } from "../audit.js";
import { afterTerminal, COMMAND_TARGET, endWithSyntheticFailure } from "../commands/lifecycle.js";
import { packageVersionSubject } from "../packages/subject.js";
import { announceNewCommand } from "../wakeups.js";
import { packageInstallSubject } from "../packages/installSubject.js";

export type Ending = "REJECTED" | "EXPIRED" | "CANCELLED";
export type AfterCommit = () => void;

export interface SubjectHandler {
  /** The least role that may approve or reject (default: the route's, operator). Package versions: owner. */
  reviewerRole?: Role;
  /** The request is approved: let the subject go ahead. */
  approved(app: App, subjectId: string, actor: Actor, approvalId: string, requestId?: string): Promise<AfterCommit>;
  /** The request ended without approval: the subject never goes ahead. */
  ended(app: App, subjectId: string, ending: Ending, actor: Actor, reason: string, approvalId: string, requestId?: string): Promise<AfterCommit>;
}

const ENDED_AS = { REJECTED: "CANCELLED", CANCELLED: "CANCELLED", EXPIRED: "EXPIRED" } as const;
const ERROR_CODE = { REJECTED: "APPROVAL_REJECTED", CANCELLED: "APPROVAL_CANCELLED", EXPIRED: "APPROVAL_EXPIRED" } as const;
const COMMAND_ACTION = { REJECTED: "command.rejected", CANCELLED: "command.cancelled", EXPIRED: "system.command.expired" } as const;

const commandSubject: SubjectHandler = {
  async approved(app, commandId, actor, approvalId, requestId) {
    const c = await getCommand(app.db, commandId);
    const now = app.now();
    // the pickup deadline starts now: the time spent waiting for reviewers is not the agent's
    const expiresAt = new Date(now.getTime() + app.config.commandTtlSeconds * 1000).toISOString();
    if (!c || !await releaseCommand(app.db, commandId, expiresAt)) {
      throw new AppError("APPROVAL_NOT_PENDING", "the command is no longer awaiting approval", { status: c?.status ?? null });
    }
    await announceNewCommand(app, c.agentId); // other nodes wake their parked polls of this agent at commit
    await writeAudit(app, {
      actor, action: "command.approved", target: { type: COMMAND_TARGET, id: c.id }, requestId,
      metadata: { approvalId, actionName: c.actionName, agentId: c.agentId, expiresAt },
    });
    return () => app.runtime.hub.notifyAgent(c.agentId);
  },
  async ended(app, commandId, ending, actor, reason, approvalId, requestId) {
    const c = await getCommand(app.db, commandId);
    if (!c || c.status !== "AWAITING_APPROVAL") return () => {};
    // drops the sealed secrets too: a command that is never dispatched never needs them
    if (!await endWithSyntheticFailure(app, c, ENDED_AS[ending], { code: ERROR_CODE[ending], message: reason })) return () => {};
    await writeAudit(app, {
      actor, action: COMMAND_ACTION[ending], target: { type: COMMAND_TARGET, id: c.id }, requestId, message: reason,
      metadata: { from: c.status, approvalId, actionName: c.actionName, type: c.type, agentId: c.agentId },
    });
    return () => afterTerminal(app, c.id);
  },
};

const HANDLERS: Record<string, SubjectHandler> = { COMMAND: commandSubject, PACKAGE_VERSION: packageVersionSubject, PACKAGE_INSTALL: packageInstallSubject };

export function subjectHandler(subjectType: string): SubjectHandler {
  const h = Object.hasOwn(HANDLERS, subjectType) ? HANDLERS[subjectType] : undefined;
  if (!h) throw new Error(`no approval handler for subject type ${subjectType}`);
  return h;
}
