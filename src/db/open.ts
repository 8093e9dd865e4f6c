// Opens the SQLite database: pragmas in a deliberate order, then the migration ladder.
import Database from "better-sqlite3";
import { readdirSync, readFileSync } from "node:fs";
import { rootPath } from "../paths.js";

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
  // Wait for a competing writer (a backup, the CLI) instead of failing at once with SQLITE_BUSY.
  db.pragma("busy_timeout = 5000");
  // WAL lets readers proceed during writes and makes commits cheap; :memory: ignores it.
  db.pragma("journal_mode = WAL");
  // NORMAL is durable across application crashes in WAL mode; only power loss may drop the last commit.
  db.pragma("synchronous = NORMAL");
  // Enforce the REFERENCES clauses in schema.sql (off by default in SQLite).
  db.pragma("foreign_keys = ON");
  migrate(db);
  return db;
}

/** Applies schema.sql to an empty database and then every newer numbered migration, each in a transaction. */
export function migrate(db: Db): { from: number; to: number } {
  const from = db.pragma("user_version", { simple: true }) as number;
  const target = codeSchemaVersion();
  if (from > target) {
    throw new DatabaseTooNewError(
      `database schema version ${from} is newer than this Capstan (knows ${target}); upgrade Capstan or restore an older backup`,
    );
  }
  if (from === 0) {
    db.transaction(() => {
      db.exec(readFileSync(rootPath("schema.sql"), "utf8"));
      db.pragma("user_version = 1");
    })();
  }
  for (const m of migrationFiles()) {
    const current = db.pragma("user_version", { simple: true }) as number;
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(readFileSync(rootPath("migrations", m.file), "utf8"));
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to: db.pragma("user_version", { simple: true }) as number };
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
