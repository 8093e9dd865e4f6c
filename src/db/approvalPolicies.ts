// approval_policies: an owner's rule that actions of a service (action_name '*': all of them) need
// approval by N distinct reviewers. Keyed by service code, like bus routes.
import type { Db } from "./open.js";

export const ALL_ACTIONS = "*";

export interface ApprovalPolicyRow {
  id: string;
  serviceCode: string;
  /** An action name, or "*" for every action of the service. */
  actionName: string;
  requiredApprovals: number;
  createdByUserId: string | null;
  createdAt: string;
  updatedAt: string;
}

const COLUMNS = `id, service_code, action_name, required_approvals, created_by_user_id, created_at, updated_at`;

const sql = {
  // every policy, by service then action
  list: `SELECT ${COLUMNS} FROM approval_policies ORDER BY service_code, action_name`,
  // by id
  get: `SELECT ${COLUMNS} FROM approval_policies WHERE id = ?`,
  // the policies that apply to one action: its own and the service-wide one
  forAction: `SELECT ${COLUMNS} FROM approval_policies WHERE service_code = ? AND action_name IN (?, '*')`,
  // set (one per service and action name): a second PUT changes the count
  upsert: `INSERT INTO approval_policies (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (service_code, action_name) DO UPDATE SET required_approvals = excluded.required_approvals, updated_at = excluded.updated_at`,
  // delete
  remove: `DELETE FROM approval_policies WHERE id = ?`,
};

type Raw = {
  id: string; service_code: string; action_name: string; required_approvals: number; created_by_user_id: string | null;
  created_at: string; updated_at: string;
};

const toRow = (r: Raw): ApprovalPolicyRow => ({
  id: r.id, serviceCode: r.service_code, actionName: r.action_name, requiredApprovals: Number(r.required_approvals),
  createdByUserId: r.created_by_user_id, createdAt: r.created_at, updatedAt: r.updated_at,
});

export const listApprovalPolicies = async (db: Db): Promise<ApprovalPolicyRow[]> => (await db.all<Raw>(sql.list)).map(toRow);

export const getApprovalPolicy = async (db: Db, id: string): Promise<ApprovalPolicyRow | undefined> => {
  const r = await db.get<Raw>(sql.get, [id]);
  return r && toRow(r);
};

export const policiesForAction = async (db: Db, serviceCode: string, actionName: string): Promise<ApprovalPolicyRow[]> =>
  (await db.all<Raw>(sql.forAction, [serviceCode, actionName])).map(toRow);

/** Creates the policy of (service, action) or changes its count; returns the stored row. */
export async function upsertApprovalPolicy(db: Db, p: ApprovalPolicyRow): Promise<ApprovalPolicyRow> {
  await db.run(sql.upsert, [p.id, p.serviceCode, p.actionName, p.requiredApprovals, p.createdByUserId, p.createdAt, p.updatedAt]);
  return (await policiesForAction(db, p.serviceCode, p.actionName)).find((r) => r.actionName === p.actionName)!;
}

export const deleteApprovalPolicy = async (db: Db, id: string): Promise<boolean> => (await db.run(sql.remove, [id])).changes === 1;
