// Target interface of the async data layer (issue 15). File: src/db/engine.ts in the project.
// Both engines implement it; db modules and the domain only ever see `Db`.
export type SqlParam = string | number | bigint | null | Buffer | boolean;

export interface RunResult { changes: number }

/** What a db module needs: run one statement. */
export interface Queryable {
  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>;
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  run(sql: string, params?: readonly SqlParam[]): Promise<RunResult>;
}

export interface Db extends Queryable {
  readonly kind: "sqlite" | "postgres";
  /**
   * The one way to open a transaction. Inside fn, every call on this Db (from any module, via
   * AsyncLocalStorage) runs in that transaction. On SQLite transactions are serialised by one queue and
   * statements outside a transaction wait for it; on PostgreSQL a pooled client is held, and
   * serialization failures (40001, 40P01) are retried a bounded number of times (fn must therefore keep
   * side effects outside the database until after the transaction resolves).
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Multi-statement DDL, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;

  // Cross-node signals and singletons. PostgreSQL: NOTIFY/LISTEN and session advisory locks. SQLite: one
  // process owns the file, so there is no other node to tell or to exclude: notify does nothing, listen
  // answers undefined (nothing to listen to) and every lock is this process's.
  /** NOTIFY; inside transaction(fn) it is delivered at commit, and only if the transaction commits. */
  notify(channel: string, payload: string): Promise<void>;
  /**
   * Calls cb for every notification on channel (other nodes' and this node's own) until the returned
   * function is called; onReconnect runs after the listening connection was lost and re-established
   * (notifications in between are lost: re-check then). undefined: the engine has no other nodes.
   */
  listen(channel: string, cb: (payload: string) => void, onReconnect?: () => void): Promise<(() => Promise<void>) | undefined>;
  /** A singleton lock held by this node until released or until the node's lock session ends; true while held. */
  tryAdvisoryLock(key: string): Promise<boolean>;
  releaseAdvisoryLock(key: string): Promise<void>;
}
// SQL text in db modules is written once in the portable dialect: `?` placeholders, ISO-8601 text
// timestamps, JSON as text, 0/1 integers for booleans, ON CONFLICT, RETURNING. The PostgreSQL engine
// translates `?` -> `$n` (outside string literals) and applies the named differences in src/db/dialect.ts.
// Integer columns come back as JS numbers on both engines (pg type parsers for int8/numeric set per pool).
