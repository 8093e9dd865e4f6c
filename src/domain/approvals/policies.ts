// Owners' approval policies: set (create or change the count), delete, list. Audited.
import type { Actor, App } from "../../context.js";
import {
  deleteApprovalPolicy, getApprovalPolicy, listApprovalPolicies, upsertApprovalPolicy, type ApprovalPolicyRow,
} from "../../db/approvalPolicies.js";
import { AppError } from "../../errors.js";
import { newId } from "../../ids.js";
import { writeAudit } from "../audit.js";

const POLICY_TARGET = "ApprovalPolicy";

export const policyToWire = (p: ApprovalPolicyRow) => ({
  id: p.id, serviceCode: p.serviceCode, actionName: p.actionName, requiredApprovals: p.requiredApprovals,
  createdByUserId: p.createdByUserId, createdAt: p.createdAt, updatedAt: p.updatedAt,
});

export const listPoliciesWire = async (app: App) => (await listApprovalPolicies(app.db)).map(policyToWire);

export async function setApprovalPolicy(
  app: App, actor: Actor, input: { serviceCode: string; actionName: string; requiredApprovals: number }, requestId?: string,
): Promise<ReturnType<typeof policyToWire>> {
  const nowIso = app.now().toISOString();
  const row = await app.db.transaction(async () => {
    const stored = await upsertApprovalPolicy(app.db, {
      id: newId("apl"), ...input, createdByUserId: actor.type === "USER" ? actor.id : null, createdAt: nowIso, updatedAt: nowIso,
    });
    await writeAudit(app, { actor, action: "approval.policy.set", target: { type: POLICY_TARGET, id: stored.id }, requestId, metadata: { ...input } });
    return stored;
  });
  return policyToWire(row);
}

export async function deleteApprovalPolicyById(app: App, actor: Actor, id: string, requestId?: string): Promise<void> {
  await app.db.transaction(async () => {
    const p = await getApprovalPolicy(app.db, id);
    if (!p || !await deleteApprovalPolicy(app.db, id)) throw new AppError("APPROVAL_POLICY_NOT_FOUND", "no such approval policy");
    await writeAudit(app, {
      actor, action: "approval.policy.deleted", target: { type: POLICY_TARGET, id }, requestId,
      metadata: { serviceCode: p.serviceCode, actionName: p.actionName, requiredApprovals: p.requiredApprovals },
    });
  });
}
