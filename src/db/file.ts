// The database file itself, not its tables: every PRAGMA Capstan runs (connection setup, schema
// version, facts, integrity, checkpoint) and the SQLite online backup copy. Table SQL lives in the
// per-table modules; the policy around these (file names, audit, restore steps) in domain/backup.ts.
// These run on the raw better-sqlite3 handle (`Raw`, sync: a pragma is not a query the async engine
// queues); only ping goes through the served `Db`. What branches on the engine (SQLite or PostgreSQL) is in db/facts.ts.
import Database from "better-sqlite3";
import type { Db } from "./engine.js";

type Raw = Database.Database;

/** Connection settings, in a deliberate order. */
export function configureConnection(db: Raw): void {
  // Wait for a competing writer (a backup, the CLI) instead of failing at once with SQLITE_BUSY.
  db.pragma("busy_timeout = 5000");
  // WAL lets readers proceed during writes and makes commits cheap; :memory: ignores it.
  db.pragma("journal_mode = WAL");
  // NORMAL is durable across application crashes in WAL mode; only power loss may drop the last commit.
  db.pragma("synchronous = NORMAL");
  // Enforce the REFERENCES clauses in schema.sql (off by default in SQLite).
  db.pragma("foreign_keys = ON");
}

/**
 * A connection that runs no migrations (backup source, restore checks, `migrate`'s "from" version):
 * such tools must never change the file they inspect. `busyTimeoutMs` > 0 waits for other writers.
 */
export function openExisting(path: string, busyTimeoutMs = 0): Raw {
  const db = new Database(path, { fileMustExist: true });
  if (busyTimeoutMs > 0) db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  return db;
}

export const schemaVersion = (db: Raw): number => db.pragma("user_version", { simple: true }) as number;

/** Only inside the migration transaction that brought the schema to `version`. */
export const setSchemaVersion = (db: Raw, version: number): void => {
  db.pragma(`user_version = ${Math.trunc(version)}`);
};

/**
 * Runs the migration ladder with foreign-key enforcement off (it cannot change inside a transaction):
 * SQLite's documented table rebuild (006 rebuilds commands to widen a CHECK) would otherwise cascade
 * the DROP into every child table. Each step checks the keys itself (`foreignKeyViolations`).
 */
export function withForeignKeysOff<T>(db: Raw, fn: () => T): T {
  const was = db.pragma("foreign_keys", { simple: true }) as number;
  db.pragma("foreign_keys = OFF");
  try {
    return fn();
  } finally {
    if (was) db.pragma("foreign_keys = ON");
  }
}

/** Rows that break a foreign key (PRAGMA foreign_key_check); a migration step refuses to commit with any. */
export const foreignKeyViolations = (db: Raw): number => (db.pragma("foreign_key_check") as unknown[]).length;

/** The cheapest round trip through SQLite (health checks). */
export const ping = async (db: Db): Promise<void> => {
  await db.get("SELECT 1");
};

export const tableNames = (db: Raw): Set<string> =>
  new Set((db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name));

export interface DbFacts {
  pageCount: number;
  pageSize: number;
  freelistCount: number;
  journalMode: string;
  userVersion: number;
}

/** Page counts and modes; pragmas are read, never changed. */
export function dbFacts(db: Raw): DbFacts {
  return {
    pageCount: db.pragma("page_count", { simple: true }) as number,
    pageSize: db.pragma("page_size", { simple: true }) as number,
    freelistCount: db.pragma("freelist_count", { simple: true }) as number,
    journalMode: db.pragma("journal_mode", { simple: true }) as string,
    userVersion: schemaVersion(db),
  };
}

/** `PRAGMA integrity_check`: ["ok"] for a sound database, else the problems found (first 20). */
export const integrityCheck = (db: Raw): string[] =>
  (db.pragma("integrity_check(20)") as { integrity_check: string }[]).map((r) => r.integrity_check);

/** Folds the WAL into the main file so the file is complete on its own (before it is moved aside). */
export function checkpointFile(path: string): void {
  const db = openExisting(path, 5000);
  try {
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
}

/**
 * Copies `db` into `dest` with the online backup API, `pagesPerStep` pages per event-loop turn
 * (0: all in one step), then makes the copy a single self-contained file (no -wal beside it to forget
 * when copying it off the host) and checks it. Returns the page count and integrity_check's answer.
 */
export async function copyDatabase(db: Raw, dest: string, pagesPerStep: number): Promise<{ pages: number; problems: string[] }> {
  const step = pagesPerStep > 0 ? pagesPerStep : ALL_PAGES;
  const progress = await db.backup(dest, { progress: () => step });
  const copy = new Database(dest);
  try {
    copy.pragma("journal_mode = DELETE");
    return { pages: progress.totalPages, problems: integrityCheck(copy) };
  } finally {
    copy.close();
  }
}

/** sqlite3_backup_step's page count that means "everything in one step". */
const ALL_PAGES = 0x7fffffff;
