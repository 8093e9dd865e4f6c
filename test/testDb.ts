// The test switch: CAPSTAN_TEST_DATABASE=postgres runs the suite on PostgreSQL (a fresh database per
// server, from test/pgKit.ts); unset or "sqlite" keeps SQLite files. Every helper that starts a server,
// spawns the CLI or opens a database asks here, so one variable moves the whole suite.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import tap from "tap";
import type { Db } from "../src/db/engine.js";
import { openDb, sqliteHandle } from "../src/db/open.js";
import { emptyDatabase, freshDatabase, freshEngine, type Tap } from "./pgKit.js";

export const TEST_ENGINE: "sqlite" | "postgres" = process.env.CAPSTAN_TEST_DATABASE === "postgres" ? "postgres" : "sqlite";
export const onPostgres = TEST_ENGINE === "postgres";

/**
 * Options for a test that is about the SQLite file itself (online backup, WAL, pragmas, the file after
 * kill -9): skipped on PostgreSQL with the reason shown in the TAP output, never passed silently.
 */
export const sqliteOnly = (why: string): { skip?: string } => (onPostgres ? { skip: `SQLite-only: ${why}` } : {});

/**
 * Options for a test about several nodes on one database (startTestServer's `sameDatabaseAs`): skipped
 * on SQLite, which is single-node, with the reason shown in the TAP output.
 */
export const postgresOnly = (why: string): { skip?: string } => (onPostgres ? {} : { skip: `PostgreSQL-only: ${why}` });

/**
 * The secret key every PostgreSQL test server and CLI run shares (PostgreSQL requires CAPSTAN_SECRET_KEY:
 * all nodes of one database must open what any of them sealed). SQLite tests use their data dir's key file.
 */
export const TEST_SECRET_KEY = "5ec2e7000000000000000000000000000000000000000000000000000000c0de";

/** Env for a server or CLI of this test: a fresh database's URL and the shared key on PostgreSQL, nothing on SQLite. */
export async function databaseEnv(t: Tap): Promise<Record<string, string>> {
  if (!onPostgres) return {};
  return { CAPSTAN_DATABASE_URL: (await freshDatabase(t)).url, CAPSTAN_SECRET_KEY: TEST_SECRET_KEY };
}

const byDataDir = new Map<string, Promise<string>>();

/**
 * The same, keyed by data dir: every CLI run and server start on one data dir shares one database (as
 * they share one SQLite file), created empty as a new data dir is. Dropped when the test file ends.
 */
export async function databaseEnvFor(dataDir: string | undefined): Promise<Record<string, string>> {
  if (!onPostgres || !dataDir) return {};
  let url = byDataDir.get(dataDir);
  if (!url) {
    url = emptyDatabase(tap).then((d) => d.url); // empty, like a new data dir: the CLI or server migrates it
    byDataDir.set(dataDir, url);
  }
  return { CAPSTAN_DATABASE_URL: await url, CAPSTAN_SECRET_KEY: TEST_SECRET_KEY };
}

/** Records the database a server on `dataDir` uses, so CLI runs on that data dir find it (startTestServer). */
export function useDatabaseFor(dataDir: string, env: Record<string, string>): void {
  if (env.CAPSTAN_DATABASE_URL) byDataDir.set(dataDir, Promise.resolve(env.CAPSTAN_DATABASE_URL));
}

/** A migrated database for db-level tests: SQLite in memory, or a fresh PostgreSQL database (closed at teardown). */
export async function openTestDb(t: Tap): Promise<Db> {
  if (onPostgres) return freshEngine(t, { poolSize: 4 });
  const db = await openDb(":memory:");
  t.teardown(() => db.close());
  return db;
}

/**
 * Everything the database holds, as text, for secret scans: the SQLite file and its WAL (checkpointed
 * first), or a plain `pg_dump` of the PostgreSQL database (data, schema, sequences).
 */
export function databaseText(s: { db: Db; config: { dataDir: string; databaseUrl: string | undefined } }): string {
  if (s.db.kind === "postgres") return pgDump(s.config.databaseUrl!);
  const raw = sqliteHandle(s.db);
  if (raw.open) raw.pragma("wal_checkpoint(TRUNCATE)"); // closed: its close already checkpointed
  const file = join(s.config.dataDir, "capstan.db");
  return [file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f).toString("latin1")).join("\n");
}

/** A plain-text `pg_dump` of a database (every row, as COPY text). */
export const pgDump = (url: string): string =>
  execFileSync(pgDumpBin(), ["--format=plain", "--no-owner", url], { encoding: "latin1", maxBuffer: 256 * 1024 * 1024 });

/** pg_dump of the newest installed PostgreSQL (its major version must not be older than the server's). */
export function pgDumpBin(): string {
  const dirs = execFileSync("bash", ["-c", "ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1"], { encoding: "utf8" }).trim();
  return dirs && existsSync(join(dirs, "pg_dump")) ? join(dirs, "pg_dump") : "pg_dump";
}

/** The error code of a unique-constraint violation on the engine under test. */
export const UNIQUE_VIOLATION = onPostgres ? "23505" : "SQLITE_CONSTRAINT_UNIQUE";
/** The error code of a CHECK-constraint violation on the engine under test. */
export const CHECK_VIOLATION = onPostgres ? "23514" : "SQLITE_CONSTRAINT_CHECK";
/** The error code of a foreign-key violation on the engine under test. */
export const FOREIGN_KEY_VIOLATION = onPostgres ? "23503" : "SQLITE_CONSTRAINT_FOREIGNKEY";
