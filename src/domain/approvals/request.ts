// Opening and closing approval requests, whatever their subject (a command now, a package version
// later: the catalog adds its subject type to APPROVAL_SUBJECT_TYPES and a handler in subjects.ts).
// Both run inside the caller's transaction, next to the change of the subject they are about.
import type { Actor, App } from "../../context.js";
import { decideApproval, getApprovalBySubject, insertApproval, type ApprovalRow } from "../../db/approvals.js";
import { newId } from "../../ids.js";
import type { ApprovalStatus, ApprovalSubjectType } from "../../vocabulary.js";
import { writeAudit } from "../audit.js";

export const APPROVAL_TARGET = "Approval";

export interface ApprovalRequestSpec {
  requiredApprovals: number;
  requesterUserId: string | null;
  summary: Record<string, unknown>;
  expiresAt: string;
}

/** Inserts a PENDING request for `subject` and audits approval.requested. Call inside the subject's transaction. */
export async function requestApproval(
  app: App, subject: { type: ApprovalSubjectType; id: string }, spec: ApprovalRequestSpec, actor: Actor, requestId?: string,
): Promise<string> {
  const now = app.now();
  const id = newId("apr", now.getTime());
  await insertApproval(app.db, {
    id, subjectType: subject.type, subjectId: subject.id, requiredApprovals: spec.requiredApprovals,
    requestedByUserId: spec.requesterUserId, summary: spec.summary, createdAt: now.toISOString(), expiresAt: spec.expiresAt,
  });
  await writeAudit(app, {
    actor, action: "approval.requested", target: { type: APPROVAL_TARGET, id }, requestId,
    metadata: {
      subjectType: subject.type, subjectId: subject.id, requiredApprovals: spec.requiredApprovals,
      requestedByUserId: spec.requesterUserId, expiresAt: spec.expiresAt, ...spec.summary,
    },
  });
  return id;
}

/**
 * Closes the PENDING request of a subject that ended some other way (an operator cancelled the command
 * itself). Call inside that transaction; a subject without a pending request is left alone.
 */
export async function closeApprovalOf(
  app: App, subject: { type: ApprovalSubjectType; id: string }, to: Exclude<ApprovalStatus, "PENDING" | "APPROVED">,
  actor: Actor, reason: string, requestId?: string,
): Promise<ApprovalRow | undefined> {
  const a = await getApprovalBySubject(app.db, subject.type, subject.id);
  if (!a || a.status !== "PENDING") return undefined;
  const userId = actor.type === "USER" ? actor.id : null;
  if (!await decideApproval(app.db, a.id, to, userId, reason, app.now().toISOString())) return undefined;
  await writeAudit(app, {
    actor, action: `approval.${to.toLowerCase()}`, target: { type: APPROVAL_TARGET, id: a.id }, requestId, message: reason,
    metadata: { subjectType: a.subjectType, subjectId: a.subjectId },
  });
  return a;
}
