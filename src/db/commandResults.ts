// command_results: the one terminal result of a command (agent-reported or synthetic).
import type { Db } from "./open.js";
import { parseJson, toBool } from "./query.js";

export interface CommandResultRow {
  id: string;
  commandId: string;
  success: boolean;
  message: string | null;
  /** As stored: generatedKey replaced by "[REDACTED]", secret keys redacted. */
  data: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  startedAt: string | null;
  finishedAt: string | null;
  reportedAt: string;
  /** The agent's execution trace (attempts, duration, CPU, heap); null when it sent none. */
  metrics: Record<string, number> | null;
}

const COLUMNS = `id, command_id, success, message, data_json, error_json, started_at, finished_at, reported_at, metrics_json`;

const sql = {
  // one result per command (command_id is UNIQUE)
  insert: `INSERT INTO command_results (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // the result of a command
  byCommand: `SELECT ${COLUMNS} FROM command_results WHERE command_id = ?`,
};

type RawRow = {
  id: string; command_id: string; success: number; message: string | null; data_json: string | null;
  error_json: string | null; started_at: string | null; finished_at: string | null; reported_at: string; metrics_json: string | null;
};

const toRow = (r: RawRow): CommandResultRow => ({
  id: r.id,
  commandId: r.command_id,
  success: toBool(r.success),
  message: r.message,
  data: parseJson<Record<string, unknown> | null>(r.data_json, null),
  error: parseJson<Record<string, unknown> | null>(r.error_json, null),
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  reportedAt: r.reported_at,
  metrics: parseJson<Record<string, number> | null>(r.metrics_json, null),
});

export async function insertCommandResult(db: Db, r: CommandResultRow): Promise<void> {
  await db.run(sql.insert, [r.id, r.commandId, r.success ? 1 : 0, r.message, r.data ? JSON.stringify(r.data) : null,
    r.error ? JSON.stringify(r.error) : null, r.startedAt, r.finishedAt, r.reportedAt, r.metrics ? JSON.stringify(r.metrics) : null]);
}

export const getCommandResult = async (db: Db, commandId: string): Promise<CommandResultRow | undefined> => {
  const r = await db.get<RawRow>(sql.byCommand, [commandId]);
  return r && toRow(r);
};
