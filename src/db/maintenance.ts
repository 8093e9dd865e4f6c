// Maintenance data: the settings rows the scheduler keeps, command-log pruning, and the database
// facts that diagnostics report. Sweeps of agents, services, tokens and commands live with their tables.
import type { Db } from "./open.js";
import { statements } from "./open.js";

const sql = statements({
  // one setting by key (values are JSON text)
  getSetting: `SELECT value, updated_at FROM settings WHERE key = ?`,
  // upsert a setting
  putSetting: `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  // log lines of commands that finished before the cutoff, oldest first, bounded batch
  pruneCommandLogs: `DELETE FROM command_logs WHERE id IN (
                       SELECT l.id FROM command_logs l JOIN commands c ON c.id = l.command_id
                       WHERE c.completed_at IS NOT NULL AND c.completed_at < ?
                       ORDER BY l.id LIMIT ?)`,
});

export function getSetting<T>(db: Db, key: string): { value: T; updatedAt: string } | undefined {
  const r = sql(db).getSetting.get(key) as { value: string; updated_at: string } | undefined;
  if (!r) return undefined;
  try {
    return { value: JSON.parse(r.value) as T, updatedAt: r.updated_at };
  } catch {
    return undefined; // a hand-edited, unreadable value counts as absent rather than breaking diagnostics
  }
}

export function putSetting(db: Db, key: string, value: unknown, nowIso: string): void {
  sql(db).putSetting.run(key, JSON.stringify(value), nowIso);
}

export const pruneCommandLogsBefore = (db: Db, cutoffIso: string, limit: number): number =>
  sql(db).pruneCommandLogs.run(cutoffIso, limit).changes;

export interface DbFacts {
  pageCount: number;
  pageSize: number;
  freelistCount: number;
  journalMode: string;
  userVersion: number;
}

/** Page counts and modes; pragmas are read, never changed. */
export function dbFacts(db: Db): DbFacts {
  return {
    pageCount: db.pragma("page_count", { simple: true }) as number,
    pageSize: db.pragma("page_size", { simple: true }) as number,
    freelistCount: db.pragma("freelist_count", { simple: true }) as number,
    journalMode: db.pragma("journal_mode", { simple: true }) as string,
    userVersion: db.pragma("user_version", { simple: true }) as number,
  };
}

/** `PRAGMA integrity_check`: ["ok"] for a sound database, else the problems found (first 20). */
export const integrityCheck = (db: Db): string[] =>
  (db.pragma("integrity_check(20)") as { integrity_check: string }[]).map((r) => r.integrity_check);
