// The SQLite engine: better-sqlite3 behind the async `Db` interface. One writing connection, so async
// transactions are serialised by a queue, and writes outside a transaction wait while one is open (they
// must not write into it). Reads outside a transaction go to a second, read-only connection: WAL gives
// it the last committed state at once, so they neither see an open transaction's rows nor wait for it.
// (Waiting was starvation under load: a reader waited until no transaction was open *or queued*, and
// with the contact flush, sampled audits and transitions queued back to back, a held fleet's polls
// waited past the 60 s request timeout.) An in-memory database has no second connection and waits.
import { AsyncLocalStorage } from "node:async_hooks";
import { readdirSync, readFileSync } from "node:fs";
import Database from "better-sqlite3";
import { rootPath } from "../paths.js";
import type { Db, RunResult, SqlParam } from "./engine.js";
import { configureConnection, foreignKeyViolations, schemaVersion, setSchemaVersion, withForeignKeysOff } from "./file.js";

export class DatabaseTooNewError extends Error {}

/** The schema version this code knows: 1 (schema.sql) + one per file in migrations/. */
export function migrationFiles(): { version: number; file: string }[] {
  return readdirSync(rootPath("migrations"))
    .filter((f) => /^\d{3}-.+\.sql$/.test(f))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 3)), file }));
}

export const codeSchemaVersion = (): number => Math.max(1, ...migrationFiles().map((m) => m.version));

/** Dynamic list queries make distinct SQL texts; the cache keeps the most recently used ones. */
const STATEMENT_CACHE = 500;

// better-sqlite3 binds no booleans; the portable dialect stores them as 0/1.
const bindable = (params: readonly SqlParam[]): unknown[] =>
  params.some((p) => typeof p === "boolean") ? params.map((p) => (typeof p === "boolean" ? Number(p) : p)) : (params as unknown[]);

/** Prepared statements of one connection, the most recently used kept. */
class Statements {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(private readonly conn: Database.Database) {}

  get(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (s) {
      this.cache.delete(sql); // re-insert: Map order is the LRU order
    } else {
      s = this.conn.prepare(sql);
      if (this.cache.size >= STATEMENT_CACHE) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(sql, s);
    return s;
  }
}

export class SqliteDb implements Db {
  readonly kind = "sqlite" as const;
  private readonly writes: Statements;
  private readonly reads: Statements | undefined;
  /**
   * Marks the async context of the open transaction: calls made inside it run in it directly. Enabled
   * only while a transaction is open or queued: an enabled AsyncLocalStorage makes Node run a hook on
   * every promise the process creates, ~5 % of a heartbeat's CPU on the steady path, which opens none.
   */
  private readonly context = new AsyncLocalStorage<object>();
  private current: object | null = null;
  /** Settles when the open transaction and every one queued behind it have finished; null when idle. */
  private tail: Promise<void> | null = null;

  /**
   * `sqlite`: the writing connection's raw handle, for backup and pragma code only (sync, bypasses the
   * transaction queue). `reader`: the read-only connection on the same file (none for :memory:).
   */
  constructor(readonly sqlite: Database.Database, private readonly reader?: Database.Database) {
    this.writes = new Statements(sqlite);
    this.reads = reader && new Statements(reader);
  }

  private inTransaction(): boolean {
    return this.current !== null && this.context.getStore() === this.current;
  }

  /** Outside a transaction, wait until none is open or queued; inside one, run at once. */
  private async turn(): Promise<void> {
    if (this.inTransaction()) return;
    while (this.tail) await this.tail;
  }

  /**
   * Where get/all run: a read-only statement outside a transaction on the reader; inside one, without a
   * reader, or a statement that writes (INSERT ... RETURNING through get), on the writer in its turn.
   */
  private async readStatement(sql: string): Promise<Database.Statement> {
    if (this.reads && !this.inTransaction()) {
      const s = this.reads.get(sql);
      if (s.readonly) return s;
    }
    if (this.tail) await this.turn();
    return this.writes.get(sql);
  }

  async get<T = Record<string, unknown>>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    return (await this.readStatement(sql)).get(...bindable(params)) as T | undefined;
  }

  async all<T = Record<string, unknown>>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return (await this.readStatement(sql)).all(...bindable(params)) as T[];
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<RunResult> {
    if (this.tail) await this.turn();
    return { changes: this.writes.get(sql).run(...bindable(params)).changes };
  }

  async exec(sql: string): Promise<void> {
    if (this.tail) await this.turn();
    this.sqlite.exec(sql);
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTransaction()) return fn(); // nested: join the open one
    const before = this.tail;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail: Promise<void> = before ? before.then(() => mine) : mine;
    this.tail = tail;
    if (before) await before;
    const marker = {};
    this.current = marker;
    try {
      this.sqlite.exec("BEGIN IMMEDIATE");
      try {
        const result = await this.context.run(marker, fn);
        this.sqlite.exec("COMMIT");
        return result;
      } catch (err) {
        if (this.sqlite.inTransaction) this.sqlite.exec("ROLLBACK");
        throw err;
      }
    } finally {
      this.current = null;
      if (this.tail === tail) {
        this.tail = null;
        this.context.disable(); // nothing queued behind: no context left to tell apart (run() enables it again)
      }
      release();
    }
  }

  // One process owns a SQLite file: no other node to wake or to exclude (see Db).
  async notify(): Promise<void> {}

  async listen(): Promise<undefined> {
    return undefined;
  }

  async tryAdvisoryLock(): Promise<boolean> {
    return true;
  }

  async releaseAdvisoryLock(): Promise<void> {}

  async close(): Promise<void> {
    while (this.tail) await this.tail;
    this.reader?.close();
    this.sqlite.close();
  }
}

/** The raw better-sqlite3 handle of a SQLite `Db` (backup, pragmas); refuses other engines. */
export function sqliteHandle(db: Db): Database.Database {
  if (!(db instanceof SqliteDb)) throw new Error(`the ${db.kind} engine has no SQLite handle`);
  return db.sqlite;
}

/** Opens a SQLite file: connection settings (db/file.ts), then the migration ladder. */
export async function openSqlite(path: string): Promise<SqliteDb> {
  const db = new Database(path);
  let reader: Database.Database | undefined;
  try {
    configureConnection(db);
    migrate(db);
    if (!db.memory) {
      reader = new Database(path, { fileMustExist: true });
      reader.pragma("busy_timeout = 5000");
      reader.pragma("query_only = ON"); // a write sent here by mistake fails instead of bypassing the queue
    }
  } catch (err) {
    reader?.close();
    db.close();
    throw err;
  }
  return new SqliteDb(db, reader);
}

/** Applies schema.sql to an empty database and then every newer numbered migration, each in a transaction. */
export function migrate(db: Database.Database): { from: number; to: number } {
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
  withForeignKeysOff(db, () => {
    for (const m of migrationFiles()) {
      const current = schemaVersion(db);
      if (m.version <= current) continue;
      db.transaction(() => {
        db.exec(readFileSync(rootPath("migrations", m.file), "utf8"));
        const broken = foreignKeyViolations(db);
        if (broken > 0) throw new Error(`migration ${m.file} would leave ${broken} rows with broken foreign keys; not applied`);
        setSchemaVersion(db, m.version);
      })();
    }
  });
  return { from, to: schemaVersion(db) };
}
