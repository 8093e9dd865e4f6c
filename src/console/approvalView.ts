// Approval requests as the console shows them: list rows, the review page (the redacted payload,
// who asked, who reviewed, and the decisions this reader may still take) and the summary on a
// command's page. Role and requester rules are decided here, never in templates.
import type { App, Ctx } from "../context.js";
import type { ApprovalWire } from "../domain/approvals/queries.js";
import { badge, prettyJson, when } from "./format.js";
import { packageHref } from "./packageView.js";
import { roleFlags } from "./view.js";

const str = (v: unknown): string => (typeof v === "string" ? v : "");

export function approvalRowView(app: App, a: ApprovalWire) {
  const now = app.now();
  const s = a.subject;
  // a package publish request names the package and version where a command names action and service
  const pkg = a.subjectType === "PACKAGE_VERSION" ? str(s.package) : "";
  return {
    id: a.id, href: `/approvals/${encodeURIComponent(a.id)}`, status: badge(a.status),
    action: pkg ? `Publish ${pkg}@${str(s.version)}` : str(s.actionLabel) || str(s.actionName) || a.subjectType, danger: badge(str(s.dangerLevel) || null),
    service: pkg || str(s.serviceCode), serviceHref: pkg ? packageHref(pkg) : s.serviceId ? `/services/${encodeURIComponent(str(s.serviceId))}` : "",
    requestedBy: a.requestedBy ?? (str(s.createdByType) === "BUS" ? "bus route" : "system"),
    progress: `${a.approvals} of ${a.requiredApprovals}`,
    created: when(a.createdAt, now), expires: when(a.expiresAt, now),
  };
}

/** The review page: what reviewers may see and which of approve / reject / cancel this reader may use. */
export function approvalPageView(ctx: Ctx<unknown>, a: ApprovalWire) {
  const flags = roleFlags(ctx);
  const me = ctx.admin!.userId;
  const pending = a.status === "PENDING";
  const own = a.requestedByUserId !== null && a.requestedByUserId === me;
  const reviewed = a.reviews.some((r) => r.reviewerUserId === me);
  const now = ctx.app.now();
  return {
    approval: {
      ...approvalRowView(ctx.app, a),
      subjectType: a.subjectType,
      commandHref: a.subjectType === "COMMAND" ? `/commands/${encodeURIComponent(a.subjectId)}` : "",
      subjectId: a.subjectId,
      payload: prettyJson(a.subject.payload ?? (a.subjectType === "PACKAGE_VERSION" ? a.subject : {})),
      reason: a.reason ?? "",
      decided: when(a.decidedAt, now),
      reviews: a.reviews.map((r) => ({ reviewer: r.reviewer ?? r.reviewerUserId, decision: badge(r.decision === "APPROVE" ? "APPROVED" : "REJECTED"), comment: r.comment ?? "", at: when(r.createdAt, now) })),
    },
    // the server refuses these anyway (a crafted form gets 403/409); the page only hides what cannot work
    canReview: pending && (a.subjectType === "PACKAGE_VERSION" ? flags.isOwner : flags.canOperate) && !own && !reviewed,
    ownRequest: pending && own,
    alreadyReviewed: pending && reviewed,
    canCancel: pending && flags.canOperate && (own || flags.isOwner),
  };
}

/** The approval box on a command's page: who asked and who approved. */
export function commandApprovalView(app: App, a: ApprovalWire | undefined) {
  if (!a) return null;
  const now = app.now();
  return {
    href: `/approvals/${encodeURIComponent(a.id)}`, status: badge(a.status), progress: `${a.approvals} of ${a.requiredApprovals}`,
    requestedBy: a.requestedBy ?? "", reason: a.reason ?? "",
    approvedBy: a.reviews.filter((r) => r.decision === "APPROVE").map((r) => r.reviewer ?? r.reviewerUserId).join(", "),
    decided: when(a.decidedAt, now),
  };
}
