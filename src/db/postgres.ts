// The PostgreSQL engine behind the async `Db` interface (src/db/engine.ts): a pg.Pool, transactions
// held in AsyncLocalStorage so every call inside transaction(fn) uses that transaction's client,
// bounded retries of serialization failures, plus the cross-node helpers (NOTIFY/LISTEN, advisory
// locks) the scale-out design needs.
import { AsyncLocalStorage } from "node:async_hooks";
import type pg from "pg";
import type { Db, RunResult, SqlParam } from "./engine.js";
import { toPostgres } from "./dialect.js";
import { Listener } from "./pgNotify.js";
import { LockSession } from "./pgLock.js";
import { loadPgDriver, pgDriver } from "./pgDriver.js";

export interface PostgresOptions {
  /** Pool size (connections held by this node). Default 10. */
  poolSize?: number;
  /** Attempts of one transaction when it hits 40001/40P01 (first try included). Default 5. */
  maxAttempts?: number;
  /** Isolation level of transaction(fn). Default "read committed" (PostgreSQL's default). */
  isolation?: "read committed" | "repeatable read" | "serializable";
  /** application_name shown in pg_stat_activity. */
  applicationName?: string;
  /** Errors of idle pooled clients and of the listener connection (server restart, network). */
  onError?: (err: Error) => void;
}

export interface PostgresDb extends Db {
  readonly kind: "postgres";
  readonly pool: pg.Pool;
  /** NOTIFY; inside transaction(fn) it is delivered when (and only if) that transaction commits. */
  notify(channel: string, payload?: string): Promise<void>;
  /**
   * LISTEN on a dedicated connection that reconnects by itself. `onReconnect` runs after every
   * re-connection: notifications sent while disconnected are lost, so callers re-check then.
   * Resolves once LISTEN is active; the returned function stops listening.
   */
  listen(channel: string, cb: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  /** pg_try_advisory_lock on this node's dedicated lock session; true while this node holds it. */
  tryAdvisoryLock(key: number | string): Promise<boolean>;
  /** Releases a lock taken with tryAdvisoryLock (no-op when not held). */
  releaseAdvisoryLock(key: number | string): Promise<void>;
}

/** fn caught a failed statement and went on; PostgreSQL rolled the whole transaction back. */
export class TransactionAbortedError extends Error {
  readonly code = "25P02";
  constructor() {
    super("transaction rolled back: a statement inside it failed and the error was caught (PostgreSQL aborts the whole transaction)");
  }
}

export const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set(["40001", "40P01"]);

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Per-pool type parsers (never the global pg.types): int8 (COUNT, BIGINT columns) and numeric (SUM,
 * AVG) come back as JS numbers, as they do from SQLite. Values past 2^53 would lose precision; the
 * schema keeps byte counts and ids far below that.
 */
export const numberTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if ((oid === INT8_OID || oid === NUMERIC_OID) && format !== "binary") return (v: string) => Number(v);
    return pgDriver().types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig["getTypeParser"],
};

/** SqlParam -> what pg binds: booleans as 0/1 (INTEGER booleans, like SQLite), bigints as text. */
const bindable = (p: SqlParam): unknown => (typeof p === "boolean" ? (p ? 1 : 0) : typeof p === "bigint" ? p.toString() : p);

/** The transaction a call belongs to; `done` guards callbacks that outlive it (timers started inside fn). */
interface TxScope {
  client: pg.PoolClient;
  done: boolean;
}

const isRetryable = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && RETRYABLE_SQLSTATES.has(code);
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long a request waits for a pooled connection (all busy, or the server unreachable) before 503. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * The database could not be reached or the connection broke mid-statement (server stopped, network
 * gone, pool connect timeout, pool closed at shutdown): not the request's fault, so the error envelope
 * answers 503 DATABASE_UNAVAILABLE (src/http/errorReply.ts) instead of 500. Errors PostgreSQL itself
 * answered (pg.DatabaseError, with a SQLSTATE) pass through unchanged.
 */
export class DatabaseConnectionError extends Error {
  readonly code = "DATABASE_CONNECTION";
  constructor(cause: unknown) {
    super(`database connection failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
const connectionFailure = (err: unknown): unknown => (err instanceof pgDriver().DatabaseError || err instanceof DatabaseConnectionError ? err : new DatabaseConnectionError(err));

export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<PostgresDb> {
  const onError = opts.onError ?? (() => {});
  const base: pg.ClientConfig = { connectionString: url, types: numberTypes, application_name: opts.applicationName ?? "capstan" };
  const pool = new (await loadPgDriver()).Pool({ ...base, max: opts.poolSize ?? 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // An idle client's error (server restart) must not crash the process; the pool discards it.
  pool.on("error", onError);
  // Fail fast on a bad URL or an unreachable server instead of at the first request.
  try {
    await pool.query("SELECT 1");
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }

  // Enabled only while a transaction is open on this node: an enabled AsyncLocalStorage makes Node run a
  // hook on every promise the process creates (~5 % of a heartbeat's CPU), and the steady path opens none.
  const als = new AsyncLocalStorage<TxScope>();
  let openTransactions = 0;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  const begin = opts.isolation && opts.isolation !== "read committed" ? `BEGIN ISOLATION LEVEL ${opts.isolation.toUpperCase()}` : "BEGIN";

  const current = (): pg.PoolClient | undefined => {
    const s = als.getStore();
    return s && !s.done ? s.client : undefined;
  };
  const query = (sql: string, params: readonly SqlParam[] = []): Promise<pg.QueryResult> =>
    (current() ?? pool).query({ text: toPostgres(sql), values: params.map(bindable) }).catch((err: unknown) => { throw connectionFailure(err); });

  let listener: Listener | undefined;
  let locks: LockSession | undefined;

  const db: PostgresDb = {
    kind: "postgres",
    pool,
    async get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
      return (await query(sql, params)).rows[0] as T | undefined;
    },
    async all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
      return (await query(sql, params)).rows as T[];
    },
    async run(sql: string, params?: readonly SqlParam[]): Promise<RunResult> {
      return { changes: (await query(sql, params)).rowCount ?? 0 };
    },
    async exec(sql: string): Promise<void> {
      // no parameters: the simple protocol, which accepts several statements
      await (current() ?? pool).query(sql);
    },
    async transaction<T>(fn: () => Promise<T>): Promise<T> {
      if (current()) return fn(); // nested: joins the enclosing transaction (its retry re-runs everything)
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect().catch((err: unknown) => { throw connectionFailure(err); });
        const scope: TxScope = { client, done: false };
        let broken: Error | undefined; // a client whose connection broke or whose ROLLBACK failed is destroyed, not reused
        // pg-pool listens for a client's 'error' only while it is idle in the pool. A connection that
        // drops while this transaction holds it (server stopped, network cut) emits 'error' even when
        // a statement is running; unheard, that is an uncaught exception that ends the node. Heard, the
        // statement (or the next one) rejects as a connection failure, and the client is destroyed.
        const onLost = (err: Error): void => { broken = err; };
        client.on("error", onLost);
        try {
          await client.query(begin).catch((err: unknown) => { throw connectionFailure(err); });
          openTransactions++;
          const result = await als.run(scope, fn).finally(() => {
            if (--openTransactions === 0) als.disable(); // run() enables it again
          });
          scope.done = true; // stray calls after fn resolved go to the pool, never into COMMIT
          const end = await client.query("COMMIT").catch((err: unknown) => { throw connectionFailure(err); });
          // PostgreSQL answers COMMIT of a transaction already aborted by a failed statement (which fn
          // caught and went on) with ROLLBACK and no error: never report that as a commit.
          if (end.command === "ROLLBACK") throw new TransactionAbortedError();
          return result;
        } catch (err) {
          scope.done = true;
          await client.query("ROLLBACK").catch((e: Error) => { broken = e; });
          if (!isRetryable(err) || attempt >= maxAttempts) throw err;
        } finally {
          scope.done = true;
          client.off("error", onLost); // release() puts the pool's own listener back at once
          client.release(broken);
        }
        // jittered backoff so the conflicting transactions do not collide again in lockstep
        await sleep(Math.random() * 5 * 2 ** attempt);
      }
    },
    async notify(channel: string, payload = ""): Promise<void> {
      await query("SELECT pg_notify(?, ?)", [channel, payload]);
    },
    async listen(channel, cb, onReconnect) {
      listener ??= new Listener({ ...base }, onError);
      return listener.listen(channel, cb, onReconnect);
    },
    async tryAdvisoryLock(key) {
      locks ??= new LockSession({ ...base }, onError);
      return locks.tryLock(key);
    },
    async releaseAdvisoryLock(key) {
      await locks?.unlock(key);
    },
    async close(): Promise<void> {
      await listener?.close();
      await locks?.close();
      await pool.end();
    },
  };
  return db;
}
