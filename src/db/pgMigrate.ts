// The PostgreSQL migration ladder: migrations/postgres/NNN-name.sql, numbered like the SQLite ladder
// (001 = schema.sql's baseline, 002 = migrations/002-bus.sql, …), so both engines report the same
// schema version. Applied by whichever node starts first: every step takes a transaction-scoped
// advisory lock, so nodes starting at once queue up and the later ones find the work done.
import { readdirSync, readFileSync } from "node:fs";
import { rootPath } from "../paths.js";
import type { Db } from "./engine.js";
import { DatabaseTooNewError } from "./sqlite.js";

/** pg_advisory_xact_lock key of the ladder (any constant unique to Capstan's locks). */
export const MIGRATION_LOCK_KEY = 0x43617073; // "Caps"

export function postgresMigrationFiles(): { version: number; file: string }[] {
  return readdirSync(rootPath("migrations", "postgres"))
    .filter((f) => /^\d{3}-.+\.sql$/.test(f))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 3)), file }));
}

export const postgresCodeSchemaVersion = (): number => Math.max(1, ...postgresMigrationFiles().map((m) => m.version));

// schema_version replaces SQLite's PRAGMA user_version: one row per applied step.
const CREATE_VERSION_TABLE = `CREATE TABLE IF NOT EXISTS schema_version (
  version     INTEGER PRIMARY KEY,
  file        TEXT NOT NULL,
  applied_at  TEXT NOT NULL
)`;

/** The applied schema version (0 for an empty database). */
export async function postgresSchemaVersion(db: Db): Promise<number> {
  const exists = await db.get<{ t: string | null }>("SELECT to_regclass('schema_version')::text AS t");
  if (!exists?.t) return 0;
  return (await db.get<{ v: number }>("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version"))!.v;
}

/** Applies every step newer than the database, each in its own transaction; refuses a newer database. */
export async function migratePostgres(db: Db): Promise<{ from: number; to: number }> {
  const target = postgresCodeSchemaVersion();
  const check = (v: number): void => {
    if (v > target) {
      throw new DatabaseTooNewError(
        `database schema version ${v} is newer than this Capstan (knows ${target}); upgrade Capstan or restore an older backup`,
      );
    }
  };
  const from = await postgresSchemaVersion(db);
  check(from);
  for (const m of postgresMigrationFiles()) {
    if (m.version <= from) continue; // versions only grow: nothing to re-check
    await db.transaction(async () => {
      await db.get("SELECT pg_advisory_xact_lock(?)", [MIGRATION_LOCK_KEY]);
      await db.exec(CREATE_VERSION_TABLE);
      const current = await postgresSchemaVersion(db); // re-read under the lock: another node may have moved on
      check(current);
      if (m.version <= current) return;
      await db.exec(readFileSync(rootPath("migrations", "postgres", m.file), "utf8"));
      await db.run("INSERT INTO schema_version (version, file, applied_at) VALUES (?, ?, ?)", [m.version, m.file, new Date().toISOString()]);
    });
  }
  return { from, to: await postgresSchemaVersion(db) };
}
