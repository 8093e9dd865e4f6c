// command_logs: log lines reported while a command runs, bounded per command (oldest dropped).
import type { Db } from "./open.js";

export interface CommandLogRow {
  id: number;
  commandId: string;
  at: string;
  level: string;
  message: string;
}

export interface LogBounds {
  maxLines: number;
  maxBytes: number;
}

const sql = {
  // one line
  insert: `INSERT INTO command_logs (command_id, at, level, message) VALUES (?, ?, ?, ?)`,
  // running totals kept on the command so the bound check needs no scan; added in place (not read-modify-write:
  // that loses updates under PostgreSQL's READ COMMITTED; the UPDATE's row lock serialises two appenders)
  addTotals: `UPDATE commands SET log_count = log_count + ?, log_bytes = log_bytes + ? WHERE id = ?
              RETURNING log_count AS count, log_bytes AS bytes`,
  // sizes oldest first, to find how many lines to drop (octet_length: bytes of the UTF-8 text on both engines)
  sizes: `SELECT id, octet_length(message) AS bytes FROM command_logs WHERE command_id = ? ORDER BY id`,
  // drop the oldest lines up to and including an id
  dropThrough: `DELETE FROM command_logs WHERE command_id = ? AND id <= ?`,
  // read lines in order, optionally after the last one a reader has seen (live tail)
  list: `SELECT id, command_id, at, level, message FROM command_logs WHERE command_id = ? AND id > ? ORDER BY id LIMIT ?`,
  // retention: log lines of commands that finished before the cutoff, oldest first, bounded batch
  prune: `DELETE FROM command_logs WHERE id IN (
            SELECT l.id FROM command_logs l JOIN commands c ON c.id = l.command_id
            WHERE c.completed_at IS NOT NULL AND c.completed_at < ?
            ORDER BY l.id LIMIT ?)`,
};

export const pruneCommandLogsBefore = async (db: Db, cutoffIso: string, limit: number): Promise<number> =>
  (await db.run(sql.prune, [cutoffIso, limit])).changes;

type RawRow = { id: number; command_id: string; at: string; level: string; message: string };

/** Appends lines and drops the oldest until the command is within bounds. Call inside a transaction. */
export async function appendCommandLogs(
  db: Db, commandId: string, lines: { at: string; level: string; message: string }[], bounds: LogBounds,
): Promise<{ dropped: number }> {
  const added = lines.reduce((n, l) => n + Buffer.byteLength(l.message), 0);
  const totals = await db.get<{ count: number; bytes: number }>(sql.addTotals, [lines.length, added, commandId]);
  if (!totals) return { dropped: 0 };
  let { count, bytes } = totals;
  for (const l of lines) await db.run(sql.insert, [commandId, l.at, l.level, l.message]);
  let dropped = 0;
  let droppedBytes = 0;
  if (count > bounds.maxLines || bytes > bounds.maxBytes) {
    let lastDropped: number | undefined;
    for (const row of await db.all<{ id: number; bytes: number }>(sql.sizes, [commandId])) {
      if (count <= bounds.maxLines && bytes <= bounds.maxBytes) break;
      lastDropped = row.id;
      count--;
      bytes -= row.bytes;
      droppedBytes += row.bytes;
      dropped++;
    }
    if (lastDropped !== undefined) await db.run(sql.dropThrough, [commandId, lastDropped]);
  }
  if (dropped) await db.get(sql.addTotals, [-dropped, -droppedBytes, commandId]);
  return { dropped };
}

export const listCommandLogs = async (db: Db, commandId: string, afterId: number, limit: number): Promise<CommandLogRow[]> =>
  (await db.all<RawRow>(sql.list, [commandId, afterId, limit])).map((r) => ({
    id: r.id, commandId: r.command_id, at: r.at, level: r.level, message: r.message,
  }));
