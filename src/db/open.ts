// Opens the SQLite database: connection settings (db/file.ts), then the migration ladder.
import Database from "better-sqlite3";
import { readdirSync, readFileSync } from "node:fs";
import { rootPath } from "../paths.js";
import { configureConnection, schemaVersion, setSchemaVersion } from "./file.js";

export type Db = Database.Database;

export class DatabaseTooNewError extends Error {}

/** The schema version this code knows: 1 (schema.sql) + one per file in migrations/. */
export function migrationFiles(): { version: number; file: string }[] {
  return readdirSync(rootPath("migrations"))
    .filter((f) => /^\d{3}-.+\.sql$/.test(f))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 3)), file }));
}

export const codeSchemaVersion = (): number => Math.max(1, ...migrationFiles().map((m) => m.version));

export function openDb(path: string): Db {
  const db = new Database(path);
  configureConnection(db);
  migrate(db);
  return db;
}

/** Applies schema.sql to an empty database and then every newer numbered migration, each in a transaction. */
export function migrate(db: Db): { from: number; to: number } {
  const from = schemaVersion(db);
  const target = codeSchemaVersion();
  if (from > target) {
    throw new DatabaseTooNewError(
      `database schema version ${from} is newer than this Capstan (knows ${target}); upgrade Capstan or restore an older backup`,
    );
  }
  if (from === 0) {
    db.transaction(() => {
      db.exec(readFileSync(rootPath("schema.sql"), "utf8"));
      setSchemaVersion(db, 1);
    })();
  }
  for (const m of migrationFiles()) {
    const current = schemaVersion(db);
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(readFileSync(rootPath("migrations", m.file), "utf8"));
      setSchemaVersion(db, m.version);
    })();
  }
  return { from, to: schemaVersion(db) };
}

/** Lazily prepares each statement once per database handle (statements are bound to their db). */
export function statements<T extends Record<string, string>>(sql: T): (db: Db) => { [K in keyof T]: Database.Statement } {
  const cache = new WeakMap<Db, { [K in keyof T]: Database.Statement }>();
  return (db) => {
    let prepared = cache.get(db);
    if (!prepared) {
      prepared = Object.fromEntries(Object.entries(sql).map(([k, s]) => [k, db.prepare(s)])) as { [K in keyof T]: Database.Statement };
      cache.set(db, prepared);
    }
    return prepared;
  };
}
