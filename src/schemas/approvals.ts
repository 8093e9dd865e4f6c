// Inputs of four-eyes approvals: list query, the reviewers' decisions and owners' policies.
import { z } from "zod";
import { APPROVAL_STATUSES, APPROVAL_SUBJECT_TYPES } from "../vocabulary.js";
import { page, pageSize, sortParam } from "./common.js";
import { actionName, serviceCode } from "./services.js";

export const ListApprovalsShape = {
  page,
  pageSize,
  sort: sortParam(["createdAt", "expiresAt"]),
  status: z.array(z.enum(APPROVAL_STATUSES)).optional(),
  subjectType: z.array(z.enum(APPROVAL_SUBJECT_TYPES)).optional(),
};
export const APPROVAL_LIST_ARRAYS = ["status", "subjectType"] as const;

const text = z.string().trim().max(2000);

/** Console forms send an empty comment field: same as none. */
export const ApproveBody = z.object({ comment: text.optional().transform((v) => v || null) });
export const RejectBody = z.object({ reason: z.string({ error: "a rejection needs a reason" }).trim().min(1, "a rejection needs a reason").max(2000) });
export const CancelApprovalBody = z.object({ reason: text.optional().transform((v) => v || null) });

/** Owner policy: executions of the action ("*": every action of the service) need N distinct reviewers. */
export const SetApprovalPolicyBody = z.strictObject({
  serviceCode,
  actionName: z.union([actionName, z.literal("*")]).default("*"),
  requiredApprovals: z.coerce.number().int().min(1).max(3),
});
