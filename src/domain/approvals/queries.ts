// Approval reads shared by the admin API and the console: list, detail, the pending count (the
// console's badge and the dashboard) and the approval of one command (its detail page).
import type { App } from "../../context.js";
import {
  countPendingApprovals, getApproval, getApprovalBySubject, listApprovals, listReviews, type ApprovalFilter, type ApprovalRow, type ReviewRow,
} from "../../db/approvals.js";
import type { SortKey } from "../../db/query.js";
import { AppError } from "../../errors.js";
import { lookupNames, type Names } from "../names.js";
import { redact } from "../redact.js";

/** Wire shape of an approval request (a Capstan addition, docs/compatibility.md). */
export function approvalToWire(a: ApprovalRow, reviews: ReviewRow[], names: Names) {
  return {
    id: a.id,
    subjectType: a.subjectType,
    subjectId: a.subjectId,
    status: a.status,
    requiredApprovals: a.requiredApprovals,
    approvals: reviews.filter((r) => r.decision === "APPROVE").length,
    requestedByUserId: a.requestedByUserId,
    requestedBy: names.user(a.requestedByUserId),
    // the action, its danger level, the service and the redacted payload: never a secret value
    subject: redact(a.summary),
    reviews: reviews.map((r) => ({
      reviewerUserId: r.reviewerUserId, reviewer: names.user(r.reviewerUserId), decision: r.decision, comment: r.comment, createdAt: r.createdAt,
    })),
    reason: a.reason,
    decidedByUserId: a.decidedByUserId,
    decidedAt: a.decidedAt,
    createdAt: a.createdAt,
    expiresAt: a.expiresAt,
  };
}

export type ApprovalWire = ReturnType<typeof approvalToWire>;

async function toWire(app: App, rows: ApprovalRow[]): Promise<ApprovalWire[]> {
  const reviews = new Map<string, ReviewRow[]>();
  for (const a of rows) reviews.set(a.id, await listReviews(app.db, a.id));
  const users = rows.flatMap((a) => [a.requestedByUserId, ...reviews.get(a.id)!.map((r) => r.reviewerUserId)]);
  const names = await lookupNames(app, { users });
  return rows.map((a) => approvalToWire(a, reviews.get(a.id)!, names));
}

export async function listApprovalsWire(app: App, filter: ApprovalFilter, sort: SortKey[], page: number, pageSize: number) {
  const { rows, total } = await listApprovals(app.db, filter, sort, page, pageSize);
  return { data: await toWire(app, rows), pagination: { page, pageSize, total } };
}

export async function getApprovalWire(app: App, id: string): Promise<ApprovalWire> {
  const a = await getApproval(app.db, id);
  if (!a) throw new AppError("APPROVAL_NOT_FOUND", "no such approval request");
  return (await toWire(app, [a]))[0]!;
}

/** The approval request of a command, if it needed one. */
export async function commandApprovalWire(app: App, commandId: string): Promise<ApprovalWire | undefined> {
  const a = await getApprovalBySubject(app.db, "COMMAND", commandId);
  return a && (await toWire(app, [a]))[0];
}

/** Requests still waiting for a reviewer (expired ones not yet swept are not counted). */
export const pendingApprovalCount = (app: App): Promise<number> => countPendingApprovals(app.db, app.now().toISOString());
