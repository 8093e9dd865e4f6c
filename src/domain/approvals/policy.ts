// When an action needs approval, and by how many reviewers: CRITICAL actions and actions declaring
// requiresApproval need one; an owner's policy (per service, per action or "*") may ask for up to 3.
// The largest requirement wins, so a policy can only add reviewers, never remove the action's own.
import type { App } from "../../context.js";
import { policiesForAction } from "../../db/approvalPolicies.js";
import type { ActionRow } from "../../db/serviceParts.js";
import type { ServiceRow } from "../../db/services.js";

export const MAX_REQUIRED_APPROVALS = 3;

/** Distinct reviewers an execution of `action` needs; 0: none, it is dispatched at once. */
export async function requiredApprovals(app: App, service: Pick<ServiceRow, "code">, action: Pick<ActionRow, "name" | "dangerLevel" | "requiresApproval">): Promise<number> {
  let n = action.dangerLevel === "CRITICAL" || action.requiresApproval ? 1 : 0;
  for (const p of await policiesForAction(app.db, service.code, action.name)) n = Math.max(n, p.requiredApprovals);
  return Math.min(n, MAX_REQUIRED_APPROVALS);
}
