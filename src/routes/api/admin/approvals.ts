// /api/admin/approvals*: four-eyes approval requests (list, detail, approve, reject, cancel) and
// /api/admin/approval-policies (owners say which actions need how many reviewers). Viewers read;
// operators and owners review (never their own request: the domain refuses it).
import type { z } from "zod";
import { route, type App, type Ctx } from "../../../context.js";
import { deleteApprovalPolicyById, listPoliciesWire, setApprovalPolicy } from "../../../domain/approvals/policies.js";
import { getApprovalWire, listApprovalsWire } from "../../../domain/approvals/queries.js";
import { approveRequest, cancelRequest, rejectRequest, type Reviewer } from "../../../domain/approvals/review.js";
import { ok, okEmpty, okList } from "../../../http/reply.js";
import { APPROVAL_LIST_ARRAYS, ApproveBody, CancelApprovalBody, ListApprovalsShape, RejectBody, SetApprovalPolicyBody } from "../../../schemas/approvals.js";
import { parseBody, parseQuery } from "../../../schemas/common.js";

const reviewerOf = (ctx: Ctx<unknown>): Reviewer => ({ userId: ctx.admin!.userId, role: ctx.admin!.role });

/** approve, reject and cancel share one shape: parse the body, decide, answer the request as it now stands. */
function decisionRoute<S extends z.ZodType, W extends string | null>(
  verb: "approve" | "reject" | "cancel", name: string, schema: S, words: (body: z.output<S>) => W,
  decide: (app: App, reviewer: Reviewer, id: string, words: W, requestId?: string) => Promise<unknown>,
) {
  return route({
    method: "POST", path: `/api/admin/approvals/:approvalId/${verb}`, auth: "operator", name,
    handler: async (ctx) => {
      const body = parseBody(schema, await ctx.body());
      await decide(ctx.app, reviewerOf(ctx), ctx.params.approvalId, words(body), ctx.requestId);
      return ok(await getApprovalWire(ctx.app, ctx.params.approvalId));
    },
  });
}

export const approvalRoutes = [
  route({
    method: "GET", path: "/api/admin/approvals", auth: "viewer", name: "listApprovals", query: true,
    handler: async (ctx) => {
      const q = parseQuery(ctx.query, ListApprovalsShape, APPROVAL_LIST_ARRAYS);
      const { data, pagination } = await listApprovalsWire(ctx.app, { status: q.status, subjectType: q.subjectType }, q.sort, q.page, q.pageSize);
      return okList(data, pagination);
    },
  }),
  route({
    method: "GET", path: "/api/admin/approvals/:approvalId", auth: "viewer", name: "showApproval",
    handler: async (ctx) => ok(await getApprovalWire(ctx.app, ctx.params.approvalId)),
  }),
  decisionRoute("approve", "approveApproval", ApproveBody, (b) => b.comment, approveRequest),
  decisionRoute("reject", "rejectApproval", RejectBody, (b) => b.reason, rejectRequest),
  decisionRoute("cancel", "cancelApproval", CancelApprovalBody, (b) => b.reason, cancelRequest),
  route({
    method: "GET", path: "/api/admin/approval-policies", auth: "viewer", name: "listApprovalPolicies",
    handler: async (ctx) => ok(await listPoliciesWire(ctx.app)),
  }),
  route({
    method: "POST", path: "/api/admin/approval-policies", auth: "owner", name: "setApprovalPolicy",
    handler: async (ctx) => {
      const body = parseBody(SetApprovalPolicyBody, await ctx.body());
      return ok(await setApprovalPolicy(ctx.app, { type: "USER", id: ctx.admin!.userId }, body, ctx.requestId));
    },
  }),
  route({
    method: "DELETE", path: "/api/admin/approval-policies/:policyId", auth: "owner", name: "deleteApprovalPolicy",
    handler: async (ctx) => {
      await deleteApprovalPolicyById(ctx.app, { type: "USER", id: ctx.admin!.userId }, ctx.params.policyId, ctx.requestId);
      return okEmpty();
    },
  }),
];
