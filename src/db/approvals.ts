// approvals + approval_reviews: four-eyes approval requests (one per subject: a command now, a package
// version later) and the reviewers' decisions. The review primary key (approval, reviewer) makes
// "N reviewers" N distinct people; every status change is guarded by the status the caller saw.
import type { Db } from "./open.js";
import { Where, limitOffset, orderBy, parseJson, type SortKey } from "./query.js";
import type { ApprovalDecision, ApprovalStatus } from "../vocabulary.js";

export type { ApprovalDecision, ApprovalStatus } from "../vocabulary.js";

export interface ApprovalRow {
  id: string;
  subjectType: string;
  subjectId: string;
  status: ApprovalStatus;
  requiredApprovals: number;
  requestedByUserId: string | null;
  /** What reviewers see (redacted before insert): for a command its action, danger level, service and payload. */
  summary: Record<string, unknown>;
  reason: string | null;
  decidedByUserId: string | null;
  decidedAt: string | null;
  createdAt: string;
  expiresAt: string;
  updatedAt: string;
}

export interface ReviewRow {
  approvalId: string;
  reviewerUserId: string;
  decision: ApprovalDecision;
  comment: string | null;
  createdAt: string;
}

export interface ApprovalFilter {
  status?: string[] | undefined;
  subjectType?: string[] | undefined;
}

const COLUMNS = `id, subject_type, subject_id, status, required_approvals, requested_by_user_id, summary_json, reason,
  decided_by_user_id, decided_at, created_at, expires_at, updated_at`;
export const APPROVAL_SORT: Record<string, string> = { createdAt: "created_at", expiresAt: "expires_at" };

const sql = {
  // create (PENDING)
  insert: `INSERT INTO approvals (${COLUMNS}) VALUES (?, ?, ?, 'PENDING', ?, ?, ?, NULL, NULL, NULL, ?, ?, ?)`,
  // by id
  get: `SELECT ${COLUMNS} FROM approvals WHERE id = ?`,
  // the request of a subject (unique)
  bySubject: `SELECT ${COLUMNS} FROM approvals WHERE subject_type = ? AND subject_id = ?`,
  // a reviewer takes the request's row first: on PostgreSQL concurrent reviews of one request queue here, so
  // each counts the reviews committed before it (two last approvals cannot both see "one short")
  lock: `UPDATE approvals SET updated_at = ? WHERE id = ? AND status = 'PENDING'`,
  // PENDING -> a decision; the guard makes two concurrent decisions unable to both apply
  decide: `UPDATE approvals SET status = ?, reason = ?, decided_by_user_id = ?, decided_at = ?, updated_at = ? WHERE id = ? AND status = 'PENDING'`,
  // expiry sweep: PENDING past their deadline, oldest first (index approvals_expiry)
  expired: `SELECT ${COLUMNS} FROM approvals WHERE status = 'PENDING' AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
  // the console's badge: unexpired PENDING requests (index approvals_expiry)
  countPending: `SELECT COUNT(*) AS n FROM approvals WHERE status = 'PENDING' AND expires_at > ?`,
  // one reviewer's decision; a second one by the same reviewer violates the primary key
  insertReview: `INSERT INTO approval_reviews (approval_id, reviewer_user_id, decision, comment, created_at) VALUES (?, ?, ?, ?, ?)`,
  // the reviews of a request in order
  reviews: `SELECT approval_id, reviewer_user_id, decision, comment, created_at FROM approval_reviews WHERE approval_id = ? ORDER BY created_at, reviewer_user_id`,
};

type Raw = {
  id: string; subject_type: string; subject_id: string; status: ApprovalStatus; required_approvals: number;
  requested_by_user_id: string | null; summary_json: string; reason: string | null; decided_by_user_id: string | null;
  decided_at: string | null; created_at: string; expires_at: string; updated_at: string;
};
type RawReview = { approval_id: string; reviewer_user_id: string; decision: ApprovalDecision; comment: string | null; created_at: string };

const toRow = (r: Raw): ApprovalRow => ({
  id: r.id, subjectType: r.subject_type, subjectId: r.subject_id, status: r.status, requiredApprovals: Number(r.required_approvals),
  requestedByUserId: r.requested_by_user_id, summary: parseJson<Record<string, unknown>>(r.summary_json, {}), reason: r.reason,
  decidedByUserId: r.decided_by_user_id, decidedAt: r.decided_at, createdAt: r.created_at, expiresAt: r.expires_at, updatedAt: r.updated_at,
});
const toReview = (r: RawReview): ReviewRow => ({
  approvalId: r.approval_id, reviewerUserId: r.reviewer_user_id, decision: r.decision, comment: r.comment, createdAt: r.created_at,
});

export type NewApproval = Pick<ApprovalRow, "id" | "subjectType" | "subjectId" | "requiredApprovals" | "requestedByUserId" | "summary" | "createdAt" | "expiresAt">;

export async function insertApproval(db: Db, a: NewApproval): Promise<void> {
  await db.run(sql.insert, [a.id, a.subjectType, a.subjectId, a.requiredApprovals, a.requestedByUserId, JSON.stringify(a.summary),
    a.createdAt, a.expiresAt, a.createdAt]);
}

export const getApproval = async (db: Db, id: string): Promise<ApprovalRow | undefined> => {
  const r = await db.get<Raw>(sql.get, [id]);
  return r && toRow(r);
};

export const getApprovalBySubject = async (db: Db, subjectType: string, subjectId: string): Promise<ApprovalRow | undefined> => {
  const r = await db.get<Raw>(sql.bySubject, [subjectType, subjectId]);
  return r && toRow(r);
};

/** Locks a PENDING request for this transaction (see sql.lock); false when it is no longer PENDING. */
export const lockPendingApproval = async (db: Db, id: string, nowIso: string): Promise<boolean> =>
  (await db.run(sql.lock, [nowIso, id])).changes === 1;

/** PENDING -> `to`; false when the request was decided (or expired) meanwhile. */
export async function decideApproval(
  db: Db, id: string, to: Exclude<ApprovalStatus, "PENDING">, decidedByUserId: string | null, reason: string | null, nowIso: string,
): Promise<boolean> {
  return (await db.run(sql.decide, [to, reason, decidedByUserId, nowIso, nowIso, id])).changes === 1;
}

export const expiredApprovals = async (db: Db, nowIso: string, limit: number): Promise<ApprovalRow[]> =>
  (await db.all<Raw>(sql.expired, [nowIso, limit])).map(toRow);

export const countPendingApprovals = async (db: Db, nowIso: string): Promise<number> =>
  Number((await db.get<{ n: number }>(sql.countPending, [nowIso]))!.n);

export async function insertReview(db: Db, r: ReviewRow): Promise<void> {
  await db.run(sql.insertReview, [r.approvalId, r.reviewerUserId, r.decision, r.comment, r.createdAt]);
}

export const listReviews = async (db: Db, approvalId: string): Promise<ReviewRow[]> =>
  (await db.all<RawReview>(sql.reviews, [approvalId])).map(toReview);

export async function listApprovals(db: Db, f: ApprovalFilter, sort: SortKey[], page: number, pageSize: number): Promise<{ rows: ApprovalRow[]; total: number }> {
  const w = new Where().anyOf("status", f.status).anyOf("subject_type", f.subjectType);
  const total = Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM approvals ${w.sql}`, w.params))!.n);
  const rows = await db.all<Raw>(`SELECT ${COLUMNS} FROM approvals ${w.sql} ${orderBy(sort, APPROVAL_SORT)} ${limitOffset(page, pageSize)}`, w.params);
  return { rows: rows.map(toRow), total };
}
