// Approval expiry, run by the maintenance sweep (one node on PostgreSQL): PENDING requests past their
// deadline become EXPIRED and their subject ends (a command: EXPIRED with a synthetic result).
import type { Actor, App } from "../../context.js";
import { decideApproval, expiredApprovals } from "../../db/approvals.js";
import { writeAudit } from "../audit.js";
import { APPROVAL_TARGET } from "./request.js";
import { subjectHandler, type AfterCommit } from "./subjects.js";

const SYSTEM: Actor = { type: "SYSTEM", id: null };

/** Expires up to `limit` overdue requests; returns how many. Idempotent: safe to run at any time. */
export async function expireApprovals(app: App, limit = 500): Promise<number> {
  const after: AfterCommit[] = [];
  await app.db.transaction(async () => {
    const nowIso = app.now().toISOString();
    for (const a of await expiredApprovals(app.db, nowIso, limit)) {
      if (!await decideApproval(app.db, a.id, "EXPIRED", null, "no decision before the request expired", nowIso)) continue;
      const message = `nobody reviewed the request before it expired (${a.requiredApprovals} approval(s) needed)`;
      await writeAudit(app, {
        actor: SYSTEM, action: "approval.expired", target: { type: APPROVAL_TARGET, id: a.id }, message,
        metadata: { subjectType: a.subjectType, subjectId: a.subjectId, expiresAt: a.expiresAt },
      });
      after.push(await subjectHandler(a.subjectType).ended(app, a.subjectId, "EXPIRED", SYSTEM, message, a.id));
    }
  });
  for (const f of after) f();
  return after.length;
}
