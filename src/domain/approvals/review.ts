// Reviewing an approval request: approve (N distinct reviewers), reject (one is enough, reason
// required) and cancel (the requester, or an owner). The requester never reviews their own request;
// viewers never review (the route table). Each decision, and each refusal, is audited.
import { roleAtLeast, type Role } from "../../auth/roles.js";
import type { Actor, App } from "../../context.js";
import {
  decideApproval, getApproval, insertReview, listReviews, lockPendingApproval, type ApprovalRow,
} from "../../db/approvals.js";
import { AppError } from "../../errors.js";
import { writeAudit } from "../audit.js";
import { auditRefusal } from "../commands/lifecycle.js";
import { APPROVAL_TARGET } from "./request.js";
import { subjectHandler, type AfterCommit } from "./subjects.js";

export interface Reviewer {
  userId: string;
  role: Role;
}

type Kind = "approve" | "reject" | "cancel";
const AUDIT_ACTION: Record<Kind, string> = { approve: "approval.approved", reject: "approval.rejected", cancel: "approval.cancelled" };

/** The request, PENDING and unexpired, locked for this transaction; refused otherwise. */
async function pendingRequest(app: App, id: string): Promise<ApprovalRow> {
  const a = await getApproval(app.db, id);
  if (!a) throw new AppError("APPROVAL_NOT_FOUND", "no such approval request");
  const nowIso = app.now().toISOString();
  if (a.status !== "PENDING") throw new AppError("APPROVAL_NOT_PENDING", `the request is already ${a.status}`, { status: a.status });
  if (a.expiresAt <= nowIso) throw new AppError("APPROVAL_NOT_PENDING", "the request has expired", { status: "EXPIRED", expiresAt: a.expiresAt });
  if (!await lockPendingApproval(app.db, id, nowIso)) throw new AppError("APPROVAL_NOT_PENDING", "the request was decided meanwhile; reload it");
  return a;
}

async function decide(app: App, reviewer: Reviewer, id: string, kind: Kind, text: string | null, requestId?: string): Promise<ApprovalRow> {
  const actor: Actor = { type: "USER", id: reviewer.userId };
  try {
    const after = await app.db.transaction(async (): Promise<AfterCommit> => {
      const a = await pendingRequest(app, id);
      const nowIso = app.now().toISOString();
      const own = a.requestedByUserId !== null && a.requestedByUserId === reviewer.userId;
      const subject = subjectHandler(a.subjectType);
      const meta = { subjectType: a.subjectType, subjectId: a.subjectId, requiredApprovals: a.requiredApprovals };
      if (kind === "cancel") {
        if (!own && reviewer.role !== "owner") throw new AppError("FORBIDDEN", "only the requester or an owner can cancel an approval request");
        await decideApproval(app.db, a.id, "CANCELLED", reviewer.userId, text, nowIso);
        await writeAudit(app, { actor, action: AUDIT_ACTION.cancel, target: { type: APPROVAL_TARGET, id }, requestId, message: text ?? undefined, metadata: meta });
        return subject.ended(app, a.subjectId, "CANCELLED", actor, text ?? "the requester cancelled the approval request", a.id, requestId);
      }
      if (own) throw new AppError("APPROVAL_SELF_REVIEW", "you asked for this; another person must review it");
      if (subject.reviewerRole && !roleAtLeast(reviewer.role, subject.reviewerRole)) {
        throw new AppError("FORBIDDEN", `only a user with the ${subject.reviewerRole} role can decide a ${a.subjectType} request`);
      }
      const reviews = await listReviews(app.db, a.id);
      if (reviews.some((r) => r.reviewerUserId === reviewer.userId)) {
        throw new AppError("APPROVAL_ALREADY_REVIEWED", "you already approved this request; it needs another reviewer", { approvals: reviews.length, requiredApprovals: a.requiredApprovals });
      }
      await insertReview(app.db, { approvalId: a.id, reviewerUserId: reviewer.userId, decision: kind === "approve" ? "APPROVE" : "REJECT", comment: text, createdAt: nowIso });
      if (kind === "reject") {
        await decideApproval(app.db, a.id, "REJECTED", reviewer.userId, text, nowIso);
        await writeAudit(app, { actor, action: AUDIT_ACTION.reject, target: { type: APPROVAL_TARGET, id }, requestId, message: text ?? undefined, metadata: meta });
        return subject.ended(app, a.subjectId, "REJECTED", actor, `rejected: ${text ?? ""}`, a.id, requestId);
      }
      const approvals = reviews.filter((r) => r.decision === "APPROVE").length + 1;
      if (approvals < a.requiredApprovals) {
        // one more distinct reviewer at least: recorded, still PENDING
        await writeAudit(app, { actor, action: "approval.reviewed", target: { type: APPROVAL_TARGET, id }, requestId, metadata: { ...meta, approvals, comment: text } });
        return () => {};
      }
      await decideApproval(app.db, a.id, "APPROVED", reviewer.userId, null, nowIso);
      await writeAudit(app, { actor, action: AUDIT_ACTION.approve, target: { type: APPROVAL_TARGET, id }, requestId, metadata: { ...meta, approvals, comment: text } });
      return subject.approved(app, a.subjectId, actor, a.id, requestId);
    });
    after();
    return (await getApproval(app.db, id))!;
  } catch (err) {
    if (err instanceof AppError && err.code !== "APPROVAL_NOT_FOUND") {
      await auditRefusal(app, actor, AUDIT_ACTION[kind], { type: APPROVAL_TARGET, id }, err.code, { message: err.message }, requestId);
    }
    throw err;
  }
}

export const approveRequest = (app: App, reviewer: Reviewer, id: string, comment: string | null, requestId?: string): Promise<ApprovalRow> =>
  decide(app, reviewer, id, "approve", comment, requestId);

export const rejectRequest = (app: App, reviewer: Reviewer, id: string, reason: string, requestId?: string): Promise<ApprovalRow> =>
  decide(app, reviewer, id, "reject", reason, requestId);

export const cancelRequest = (app: App, reviewer: Reviewer, id: string, reason: string | null, requestId?: string): Promise<ApprovalRow> =>
  decide(app, reviewer, id, "cancel", reason, requestId);
