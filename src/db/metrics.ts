// Read-only aggregates for /metrics, the admin metrics JSON and diagnostics.
import type { Db } from "./open.js";

const sql = {
  // row counts of the main tables
  totals: `SELECT (SELECT COUNT(*) FROM agents) AS agents,
                  (SELECT COUNT(*) FROM capsule_services) AS capsule_services,
                  (SELECT COUNT(*) FROM commands) AS commands,
                  (SELECT COUNT(*) FROM audit_events) AS audit_events,
                  (SELECT COUNT(*) FROM users) AS users,
                  (SELECT COUNT(*) FROM registration_tokens) AS registration_tokens`,
  // commands by status and type (the commands_status_created index covers status)
  commandsByStatusType: `SELECT status, type, COUNT(*) AS n FROM commands GROUP BY status, type`,
  // commands that finished after a keyset watermark (completed_at, id), oldest first, bounded
  finishedSince: `SELECT id, type, status, created_at, started_at, completed_at FROM commands
                  WHERE completed_at IS NOT NULL AND (completed_at > ? OR (completed_at = ? AND id > ?))
                  ORDER BY completed_at, id LIMIT ?`,
};

export interface Totals {
  agents: number;
  capsuleServices: number;
  commands: number;
  auditEvents: number;
  users: number;
  registrationTokens: number;
}

export async function tableTotals(db: Db): Promise<Totals> {
  const r = (await db.get<Record<string, number>>(sql.totals))!;
  return {
    agents: r.agents!, capsuleServices: r.capsule_services!, commands: r.commands!, auditEvents: r.audit_events!,
    users: r.users!, registrationTokens: r.registration_tokens!,
  };
}

export const commandsByStatusType = async (db: Db): Promise<{ status: string; type: string; n: number }[]> =>
  await db.all<{ status: string; type: string; n: number }>(sql.commandsByStatusType);

export interface FinishedCommand {
  id: string;
  type: string;
  status: string;
  createdAt: string;
  startedAt: string | null;
  completedAt: string;
}

export async function commandsFinishedSince(db: Db, after: { completedAt: string; id: string }, limit: number): Promise<FinishedCommand[]> {
  const rows = await db.all<{
    id: string; type: string; status: string; created_at: string; started_at: string | null; completed_at: string;
  }>(sql.finishedSince, [after.completedAt, after.completedAt, after.id, limit]);
  return rows.map((r) => ({ id: r.id, type: r.type, status: r.status, createdAt: r.created_at, startedAt: r.started_at, completedAt: r.completed_at }));
}
