// /approvals: four-eyes approval requests (list, review page, approve / reject / cancel forms that
// work without JavaScript) and /approval-policies (owners). The same domain operations as
// /api/admin/approvals*; the domain refuses self-review and double review whatever the form says.
import { route, type Ctx } from "../../context.js";
import { deleteApprovalPolicyById, listPoliciesWire, setApprovalPolicy } from "../../domain/approvals/policies.js";
import { getApprovalWire, listApprovalsWire } from "../../domain/approvals/queries.js";
import { approveRequest, cancelRequest, rejectRequest, type Reviewer } from "../../domain/approvals/review.js";
import { AppError } from "../../errors.js";
import { redirect } from "../../http/reply.js";
import { APPROVAL_LIST_ARRAYS, ApproveBody, CancelApprovalBody, ListApprovalsShape, RejectBody, SetApprovalPolicyBody } from "../../schemas/approvals.js";
import { idOf, parseQuery } from "../../schemas/common.js";
import { approvalPageView, approvalRowView } from "../../console/approvalView.js";
import { setFlash } from "../../console/flash.js";
import { fieldErrors, pick, readForm } from "../../console/forms.js";
import { listPage } from "../../console/lists.js";
import { page } from "../../console/view.js";

const reviewerOf = (ctx: Ctx<unknown>): Reviewer => ({ userId: ctx.admin!.userId, role: ctx.admin!.role });
const flash = (ctx: Ctx<unknown>, kind: "success" | "error", message: string) => setFlash(ctx.app, ctx.admin!.sessionId, { kind, message });

/** A malformed id is an unknown one; the request must exist before its form is read. */
async function existing(ctx: Ctx<unknown>, raw: string): Promise<string> {
  const id = idOf("apr").safeParse(raw);
  if (!id.success) throw new AppError("APPROVAL_NOT_FOUND", "no such approval request");
  await getApprovalWire(ctx.app, id.data);
  return id.data;
}

/** Reads the form with a shared body schema; a bad field goes back to the page as a flash (no JavaScript needed). */
async function formOr<T>(ctx: Ctx<unknown>, parse: (form: Record<string, string>) => T, keys: string[]): Promise<T | undefined> {
  try {
    return parse(pick(await readForm(ctx), keys));
  } catch (err) {
    // no field markers on these small forms: the flash names the fields and what is wrong with them
    const { errors } = fieldErrors(err);
    flash(ctx, "error", Object.entries(errors).map(([k, m]) => `${k}: ${m}`).join("; ") || "Please correct the form.");
    return undefined;
  }
}

export const approvalPages = [
  route({
    method: "GET", path: "/approvals", auth: "viewer", page: true, name: "listApprovalsPage", query: true,
    handler: async (ctx) => {
      const l = await listPage(ctx.query, {
        path: "/approvals", filterKeys: ["status"],
        parse: (q) => parseQuery(q, ListApprovalsShape, APPROVAL_LIST_ARRAYS),
        list: async (qy) => {
          const { data, pagination } = await listApprovalsWire(ctx.app, { status: qy.status, subjectType: qy.subjectType }, qy.sort, qy.page, qy.pageSize);
          return { rows: data, pagination };
        },
      });
      return page(ctx, "approvals/index", {
        rows: l.rows.map((a) => approvalRowView(ctx.app, a)), pager: l.pager, filters: l.filters, filtered: l.filtered,
      }, { title: "Approvals", nav: "approvals", fragment: "approvals/_rows" });
    },
  }),
  route({
    method: "GET", path: "/approvals/:approvalId", auth: "viewer", page: true, name: "showApprovalPage",
    handler: async (ctx) => {
      const id = idOf("apr").safeParse(ctx.params.approvalId);
      if (!id.success) throw new AppError("APPROVAL_NOT_FOUND", "no such approval request");
      const view = approvalPageView(ctx, await getApprovalWire(ctx.app, id.data));
      return page(ctx, "approvals/show", view, { title: `Approval ${view.approval.action}`, nav: "approvals" });
    },
  }),
  route({
    method: "POST", path: "/approvals/:approvalId/approve", auth: "operator", page: true, name: "approveApprovalPage",
    handler: async (ctx) => {
      const id = await existing(ctx, ctx.params.approvalId);
      const body = await formOr(ctx, (f) => ApproveBody.parse(f), ["comment"]);
      if (body) {
        const a = await approveRequest(ctx.app, reviewerOf(ctx), id, body.comment, ctx.requestId);
        flash(ctx, "success", a.status === "APPROVED" ? "Approved: the command is on its way to the agent." : "Approval recorded; it needs another reviewer.");
      }
      return redirect(`/approvals/${encodeURIComponent(id)}`);
    },
  }),
  route({
    method: "POST", path: "/approvals/:approvalId/reject", auth: "operator", page: true, name: "rejectApprovalPage",
    handler: async (ctx) => {
      const id = await existing(ctx, ctx.params.approvalId);
      const body = await formOr(ctx, (f) => RejectBody.parse(f), ["reason"]);
      if (body) {
        await rejectRequest(ctx.app, reviewerOf(ctx), id, body.reason, ctx.requestId);
        flash(ctx, "success", "Rejected: the command is cancelled.");
      }
      return redirect(`/approvals/${encodeURIComponent(id)}`);
    },
  }),
  route({
    method: "POST", path: "/approvals/:approvalId/cancel", auth: "operator", page: true, name: "cancelApprovalPage",
    handler: async (ctx) => {
      const id = await existing(ctx, ctx.params.approvalId);
      const body = await formOr(ctx, (f) => CancelApprovalBody.parse(f), ["reason"]);
      if (body) {
        await cancelRequest(ctx.app, reviewerOf(ctx), id, body.reason, ctx.requestId);
        flash(ctx, "success", "Request withdrawn: the command is cancelled.");
      }
      return redirect(`/approvals/${encodeURIComponent(id)}`);
    },
  }),
  route({
    method: "GET", path: "/approval-policies", auth: "viewer", page: true, name: "listApprovalPoliciesPage",
    handler: async (ctx) => page(ctx, "approvals/policies", { policies: await listPoliciesWire(ctx.app) }, { title: "Approval policies", nav: "approvals" }),
  }),
  route({
    method: "POST", path: "/approval-policies", auth: "owner", page: true, name: "setApprovalPolicyPage",
    handler: async (ctx) => {
      const body = await formOr(ctx, (f) => SetApprovalPolicyBody.parse(f), ["serviceCode", "actionName", "requiredApprovals"]);
      if (body) {
        await setApprovalPolicy(ctx.app, { type: "USER", id: ctx.admin!.userId }, body, ctx.requestId);
        flash(ctx, "success", `Policy saved: ${body.serviceCode} / ${body.actionName} needs ${body.requiredApprovals} reviewer(s).`);
      }
      return redirect("/approval-policies");
    },
  }),
  route({
    method: "POST", path: "/approval-policies/:policyId/delete", auth: "owner", page: true, name: "deleteApprovalPolicyPage",
    handler: async (ctx) => {
      const id = idOf("apl").safeParse(ctx.params.policyId);
      if (!id.success) throw new AppError("APPROVAL_POLICY_NOT_FOUND", "no such approval policy");
      await deleteApprovalPolicyById(ctx.app, { type: "USER", id: ctx.admin!.userId }, id.data, ctx.requestId);
      flash(ctx, "success", "Policy deleted.");
      return redirect("/approval-policies");
    },
  }),
];
