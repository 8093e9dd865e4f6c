// Engine facts: the one place that reads what only one engine has (SQLite's pragmas and files through
// db/file.ts, PostgreSQL's catalog). Diagnostics, metrics, readiness, system health, `capstan migrate`
// and backups ask here; each function branches on db.kind once, so callers never branch themselves.
import { statSync } from "node:fs";
import type { Db } from "./engine.js";
import { POSTGRES_DB_FACTS_SQL } from "./dialect.js";
import { dbFacts, integrityCheck } from "./file.js";
import { postgresCodeSchemaVersion, postgresMigrationFiles, postgresSchemaVersion } from "./pgMigrate.js";
import { codeSchemaVersion as sqliteCodeVersion, migrationFiles as sqliteMigrationFiles, sqliteHandle } from "./sqlite.js";

export type DbKind = Db["kind"];

/** The applied schema version: SQLite's PRAGMA user_version, PostgreSQL's schema_version table. */
export async function appliedSchemaVersion(db: Db): Promise<number> {
  if (db.kind === "postgres") return postgresSchemaVersion(db);
  return (await db.get<{ user_version: number }>(`PRAGMA user_version`))?.user_version ?? 0;
}

/** The schema version this code knows for that engine (both ladders use the same numbers). */
export const codeSchemaVersionOf = (kind: DbKind): number => (kind === "postgres" ? postgresCodeSchemaVersion() : sqliteCodeVersion());

/** The ladder's steps, baseline included, for diagnostics. */
export const migrationListOf = (kind: DbKind): { version: number; file: string }[] =>
  kind === "postgres" ? postgresMigrationFiles() : [{ version: 1, file: "schema.sql" }, ...sqliteMigrationFiles()];

/** A postgres URL without its password (diagnostics, logs). */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparsable)";
  }
}

const fileSize = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0; // no WAL file yet, or an in-memory database
  }
};

/** Database size: SQLite main file pages plus the WAL not yet checkpointed; PostgreSQL pg_database_size. */
export async function databaseSize(db: Db): Promise<{ sizeBytes: number; walBytes: number }> {
  if (db.kind === "postgres") {
    return { sizeBytes: (await db.get<{ n: number }>(`SELECT pg_database_size(current_database()) AS n`))!.n, walBytes: 0 };
  }
  const raw = sqliteHandle(db);
  const pages = (raw.pragma("page_count", { simple: true }) as number) * (raw.pragma("page_size", { simple: true }) as number);
  return { sizeBytes: pages, walBytes: raw.memory ? 0 : fileSize(`${raw.name}-wal`) };
}

/** The `database` block of diagnostics: engine-specific facts, read, never changed. */
export async function databaseFacts(db: Db, url?: string): Promise<{ kind: DbKind; schemaVersion: number } & Record<string, unknown>> {
  if (db.kind === "postgres") {
    const f = (await db.get<{ size_bytes: number; server_version: string; database: string; schema_version: number }>(POSTGRES_DB_FACTS_SQL))!;
    return {
      kind: "postgres", url: url ? redactedUrl(url) : undefined, database: f.database, serverVersion: f.server_version,
      schemaVersion: f.schema_version, sizeBytes: f.size_bytes, walBytes: 0,
    };
  }
  const raw = sqliteHandle(db);
  const f = dbFacts(raw);
  return { kind: "sqlite", path: raw.name, ...f, schemaVersion: f.userVersion, ...(await databaseSize(db)) };
}

/**
 * Live integrity check: SQLite `PRAGMA integrity_check` (["ok"] when sound). PostgreSQL has no online
 * equivalent worth running per request (pg_amcheck is an offline tool): a catalog round trip only.
 */
export async function liveIntegrityCheck(db: Db): Promise<string[]> {
  if (db.kind === "postgres") {
    await db.get(`SELECT count(*) AS n FROM pg_class`);
    return ["ok"];
  }
  return integrityCheck(sqliteHandle(db));
}

/** Why `capstan backup`/restore and the backup API do not run on PostgreSQL, with the commands that do. */
export function postgresBackupAdvice(url: string | undefined): string {
  const u = url ? redactedUrl(url) : "$CAPSTAN_DATABASE_URL";
  return [
    "this installation uses PostgreSQL (CAPSTAN_DATABASE_URL); back it up with PostgreSQL's own tools:",
    `  backup:  pg_dump --format=custom --file=capstan.dump "${u}"`,
    `  restore: pg_restore --clean --if-exists --no-owner --dbname="${u}" capstan.dump   (all nodes stopped)`,
  ].join("\n");
}
