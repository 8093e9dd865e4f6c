// Opens the configured database engine. Everything above src/db sees only the async `Db` interface.
import type { Db } from "./engine.js";
import { migratePostgres } from "./pgMigrate.js";
import { openPostgres, type PostgresOptions } from "./postgres.js";
import { openSqlite } from "./sqlite.js";

export type { Db } from "./engine.js";
export { DatabaseTooNewError, codeSchemaVersion, migrationFiles, sqliteHandle } from "./sqlite.js";

/** A SQLite file (created and migrated as needed). */
export const openDb = (path: string): Promise<Db> => openSqlite(path);

/**
 * PostgreSQL at `url`, migrated: each ladder step runs under a transaction-scoped advisory lock, so
 * nodes starting at once apply it once; a database newer than the code is refused (DatabaseTooNewError).
 */
export async function openPostgresDb(url: string, opts: PostgresOptions = {}): Promise<Db> {
  const db = await openPostgres(url, opts);
  try {
    await migratePostgres(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

/** The engine the configuration names: PostgreSQL when CAPSTAN_DATABASE_URL is set, else the SQLite file. */
export const openConfiguredDb = (c: { databaseUrl: string | undefined }, sqlitePath: string, opts: PostgresOptions = {}): Promise<Db> =>
  c.databaseUrl ? openPostgresDb(c.databaseUrl, opts) : openDb(sqlitePath);
