// PostgreSQL for tests: one throwaway cluster per process tree (scripts/pg-cluster.sh, flock-guarded
// and reused through its state file, so parallel tap workers share it) or CAPSTAN_TEST_PG_URL, and a
// fresh database per test, copied from a migrated template (CREATE DATABASE … TEMPLATE is a file
// copy: far faster than running the migrations for every test).
import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import pg from "pg";
import { rootPath } from "../src/paths.js";
import { openPostgres, type PostgresDb, type PostgresOptions } from "../src/db/postgres.js";
import { migratePostgres, postgresMigrationFiles } from "../src/db/pgMigrate.js";

export interface Tap {
  teardown(fn: () => unknown): void;
}

/** Template databases are named by their ladder's hash: checkouts with other migrations (branches,
 * worktrees) sharing one test cluster each get their own instead of rebuilding one another's. */
const templateName = (): string => `capstan_template_${ladderHash()}`;
/** Serialises template (re)creation across every test process (a session advisory lock). */
const TEMPLATE_LOCK_KEY = 0x43617074;

/** The cluster URL (its maintenance database `postgres`); starts the cluster on first use. */
export function pgTestUrl(): string {
  const fromEnv = process.env.CAPSTAN_TEST_PG_URL;
  if (fromEnv) return fromEnv;
  const out = execFileSync("bash", [rootPath("scripts", "pg-cluster.sh"), "start"], { encoding: "utf8" });
  const url = out.trim().split("\n").pop()!;
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`pg-cluster.sh printed no URL: ${out}`);
  process.env.CAPSTAN_TEST_PG_URL = url; // child processes (test servers, CLIs) reuse it
  return url;
}

/** The same server, another database. */
export function databaseUrl(name: string): string {
  const u = new URL(pgTestUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

/** Hash of the migration files: a template built from other files is rebuilt. */
function ladderHash(): string {
  const h = createHash("sha256");
  for (const m of postgresMigrationFiles()) h.update(m.file).update(readFileSync(rootPath("migrations", "postgres", m.file)));
  return h.digest("hex").slice(0, 16);
}

let templateReady: Promise<void> | undefined;

async function ensureTemplate(): Promise<void> {
  const admin = new pg.Client({ connectionString: pgTestUrl() });
  await admin.connect();
  try {
    await admin.query("SELECT pg_advisory_lock($1)", [TEMPLATE_LOCK_KEY]);
    const template = templateName();
    const r = await admin.query<{ note: string | null }>(
      "SELECT shobj_description(oid, 'pg_database') AS note FROM pg_database WHERE datname = $1", [template]);
    if (r.rows[0]?.note === "ready") return; // set only after the migrations completed
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${template}`);
    const db = await openPostgres(databaseUrl(template), { poolSize: 2 });
    try {
      await migratePostgres(db);
    } finally {
      await db.close(); // CREATE DATABASE … TEMPLATE refuses a template with open connections
    }
    await admin.query(`COMMENT ON DATABASE ${template} IS 'ready'`);
  } finally {
    await admin.query("SELECT pg_advisory_unlock($1)", [TEMPLATE_LOCK_KEY]).catch(() => {});
    await admin.end();
  }
}

/** Creates an empty database (no schema) dropped at teardown. */
export async function emptyDatabase(t: Tap): Promise<{ name: string; url: string }> {
  return createDatabase(t, null);
}

/** Creates a migrated database (copy of the template) dropped at teardown. */
export async function freshDatabase(t: Tap): Promise<{ name: string; url: string }> {
  templateReady ??= ensureTemplate();
  await templateReady;
  return createDatabase(t, templateName());
}

async function createDatabase(t: Tap, template: string | null): Promise<{ name: string; url: string }> {
  const name = `capstan_t_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: pgTestUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`);
  } finally {
    await admin.end();
  }
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: pgTestUrl() });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); // FORCE: a test's leftover pool never blocks it
    } finally {
      await c.end();
    }
  });
  return { name, url: databaseUrl(name) };
}

/** A PostgreSQL engine on a fresh migrated database, closed at teardown. */
export async function freshEngine(t: Tap, opts: PostgresOptions = {}): Promise<PostgresDb & { url: string }> {
  const { url } = await freshDatabase(t);
  const db = await openPostgres(url, { poolSize: 4, ...opts });
  t.teardown(() => db.close());
  return Object.assign(db, { url });
}

/** A TCP relay to target that can be cut (listener closed, every connection destroyed) and restored on the same port. */
export function cuttableRelay(target: URL) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const open = () => new Promise<void>((resolve, reject) => {
    server = createServer((inbound) => {
      const outbound = connect(Number(target.port), target.hostname);
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => {});
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      port = (server!.address() as { port: number }).port;
      resolve();
    });
  });
  const cut = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server!.close(() => resolve());
  });
  return { open, cut, get port() { return port; } };
}
