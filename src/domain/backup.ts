// Backups through the SQLite online backup API, and restore with verification. A snapshot is
// consistent: from the server's own connection SQLite applies concurrent writes to the copy as it goes;
// from a second process (the CLI) the whole copy is one step inside one read transaction.
import { copyFileSync, createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync, type ReadStream } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Actor, App } from "../context.js";
import type Database from "better-sqlite3";
import { checkpointFile, copyDatabase, integrityCheck, openExisting, schemaVersion, tableNames } from "../db/file.js";
import { appliedSchemaVersion, postgresBackupAdvice } from "../db/facts.js";
import { AppError } from "../errors.js";
import { codeSchemaVersion, openDb, sqliteHandle } from "../db/open.js";
import { newId } from "../ids.js";
import { writeAudit } from "./audit.js";

/** Pages copied per event-loop turn when backing up from the serving connection (4 MiB at 4 KiB pages). */
const PAGES_PER_STEP = 1000;
const REQUIRED_TABLES = ["users", "agents", "capsule_services", "commands", "audit_events"];

export class BackupError extends Error {}

export const backupFileName = (now: Date): string => `capstan-${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}.db`;

/**
 * Copies `db` into `dest` and verifies the copy. `sameConnection` is true on the server (steps
 * interleave with requests); a separate connection copies in a single step so concurrent writers
 * from another process cannot restart it forever.
 */
export async function backupTo(db: Database.Database, dest: string, sameConnection: boolean): Promise<{ bytes: number; pages: number }> {
  mkdirSync(dirname(dest), { recursive: true });
  const partial = `${dest}.partial`;
  rmSync(partial, { force: true });
  try {
    const { pages, problems } = await copyDatabase(db, partial, sameConnection ? PAGES_PER_STEP : 0);
    if (problems.length !== 1 || problems[0] !== "ok") throw new BackupError(`backup failed its integrity check: ${problems.join("; ")}`);
    renameSync(partial, dest);
    return { bytes: statSync(dest).size, pages };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}

/** POST /api/admin/backup: a verified snapshot in the data dir's backups/ folder, audited. The caller streams and deletes it. */
export async function createSnapshot(app: App, actor: Actor, requestId?: string): Promise<{ path: string; fileName: string; bytes: number }> {
  if (app.db.kind !== "sqlite") throw new AppError("BACKUP_NOT_AVAILABLE", postgresBackupAdvice(undefined));
  const now = app.now();
  const fileName = backupFileName(now);
  // unique temp name: two owners may download at the same second
  const path = join(app.config.dataDir, "backups", `.download-${newId("aud").slice(4)}.db`);
  const { bytes, pages } = await backupTo(sqliteHandle(app.db), path, true);
  await app.db.transaction(async () => {
    await writeAudit(app, { actor, action: "backup.sqlite.created", target: { type: "Backup", id: fileName }, metadata: { fileName, bytes, pages, via: "api" }, requestId });
  });
  return { path, fileName, bytes };
}

/**
 * A snapshot as a download stream. The file is unlinked as soon as it is open (the descriptor keeps
 * it readable) and the stream is destroyed if the client goes away, so no download leaves a file behind.
 */
export async function snapshotDownload(app: App, actor: Actor, signal: AbortSignal, requestId?: string): Promise<{ stream: ReadStream; fileName: string; bytes: number }> {
  const snap = await createSnapshot(app, actor, requestId);
  const stream = createReadStream(snap.path);
  const remove = () => rmSync(snap.path, { force: true });
  stream.once("open", remove).once("close", remove);
  if (signal.aborted) stream.destroy();
  else signal.addEventListener("abort", () => stream.destroy(), { once: true });
  return { stream, fileName: snap.fileName, bytes: snap.bytes };
}

export interface BackupCheck {
  schemaVersion: number;
  bytes: number;
}

/** Opens a candidate file and checks it is a sound Capstan database this code can run. */
export async function verifyDatabaseFile(path: string): Promise<BackupCheck> {
  if (!existsSync(path)) throw new BackupError(`${path}: no such file`);
  let db: Database.Database;
  try {
    db = openExisting(path);
  } catch (err) {
    throw new BackupError(`${path}: cannot open as SQLite (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    let problems: string[];
    try {
      problems = integrityCheck(db);
    } catch (err) {
      throw new BackupError(`${path}: not a SQLite database (${err instanceof Error ? err.message : String(err)})`);
    }
    if (problems.length !== 1 || problems[0] !== "ok") throw new BackupError(`${path}: integrity check failed: ${problems.join("; ")}`);
    const tables = tableNames(db);
    const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
    const version = schemaVersion(db);
    if (version < 1 || missing.length) throw new BackupError(`${path}: not a Capstan database (missing ${missing.join(", ") || "schema version"})`);
    if (version > codeSchemaVersion()) {
      throw new BackupError(`${path}: schema version ${version} is newer than this Capstan (knows ${codeSchemaVersion()}); restore it with a newer Capstan`);
    }
    return { schemaVersion: version, bytes: statSync(path).size };
  } finally {
    db.close();
  }
}

/**
 * Replaces the database at `target` with a verified copy of `source`. The caller has made sure no
 * server uses `target`. The previous database is kept beside it as `<name>.before-restore-<time>`.
 */
export async function restoreDatabase(source: string, target: string, now: Date): Promise<{ previous: string | null; schemaVersion: number }> {
  const staging = `${target}.restoring`;
  rmSync(staging, { force: true });
  copyFileSync(source, staging); // verify the copy we will use, not the original that could still change
  let previous: string | null = null;
  try {
    await verifyDatabaseFile(staging);
    if (existsSync(target)) {
      // fold the WAL into the main file so the kept copy is complete on its own
      checkpointFile(target);
      previous = `${target}.before-restore-${backupFileName(now).slice(8, -3)}`;
      renameSync(target, previous);
    }
    for (const suffix of ["-wal", "-shm"]) rmSync(target + suffix, { force: true });
    renameSync(staging, target);
  } catch (err) {
    rmSync(staging, { force: true });
    throw err;
  }
  // apply newer migrations now, so a problem shows here and not at the next start
  const db = await openDb(target);
  const version = await appliedSchemaVersion(db);
  await db.close();
  return { previous: previous && basename(previous), schemaVersion: version };
}
