// PostgreSQL for the benchmarks: CAPSTAN_BENCH_PG_URL when given (its settings are reported, not
// changed), else a throwaway cluster of our own through scripts/pg-cluster.sh (state in
// $CAPSTAN_PG_STATE, default /tmp/pg-bench), stopped and removed at the end. pg-cluster.sh sets test
// settings (fsync off); our own cluster gets fsync and full page writes back (a crash must not
// corrupt it) and synchronous_commit=off, the durability SQLite has in Capstan (WAL,
// synchronous=NORMAL: a commit is not flushed to disk before it is acknowledged; a machine crash may
// lose the last fraction of a second, never corrupt). CAPSTAN_BENCH_PG_SYNCHRONOUS_COMMIT=on measures
// PostgreSQL's stock setting instead (every commit waits for a WAL flush).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { childPids } from "./proc.mjs";
import { ROOT } from "./server.mjs";

async function query(url, sqls) {
  const { default: pg } = await import("pg");
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const out = [];
    for (const q of sqls) out.push((await c.query(q)).rows);
    return out;
  } finally {
    await c.end();
  }
}

/** A fresh, empty database `name` on the server of `baseUrl` (dropped first); resolves its URL. */
export async function createDatabase(baseUrl, name) {
  await query(baseUrl, [`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, `CREATE DATABASE ${name}`]);
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Starts (or adopts) the server: { url, own, settings, pids() (backends' pids, [] when not ours), stop() }. */
export async function startPostgres() {
  const given = process.env.CAPSTAN_BENCH_PG_URL;
  const state = process.env.CAPSTAN_PG_STATE || "/tmp/pg-bench";
  const env = { ...process.env, CAPSTAN_PG_STATE: state };
  const script = join(ROOT, "scripts/pg-cluster.sh");
  let url = given;
  if (!url) {
    url = (await promisify(execFile)("bash", [script, "start"], { env })).stdout.trim();
    const sync = process.env.CAPSTAN_BENCH_PG_SYNCHRONOUS_COMMIT === "on" ? "on" : "off";
    await query(url, ["ALTER SYSTEM SET fsync = on", "ALTER SYSTEM SET full_page_writes = on",
      `ALTER SYSTEM SET synchronous_commit = ${sync}`, "SELECT pg_reload_conf()"]);
    await new Promise((r) => setTimeout(r, 200)); // the reload is asynchronous
  }
  const rows = await query(url, ["SELECT version()", "SHOW fsync", "SHOW synchronous_commit", "SHOW shared_buffers", "SHOW max_connections"]);
  const settings = {
    version: rows[0][0].version.split(" ").slice(0, 2).join(" "), fsync: rows[1][0].fsync,
    synchronousCommit: rows[2][0].synchronous_commit, sharedBuffers: rows[3][0].shared_buffers, maxConnections: rows[4][0].max_connections,
  };
  const postmaster = given ? null : Number(readFileSync(join(state, "data/postmaster.pid"), "utf8").split("\n")[0]);
  return {
    url, own: !given, settings,
    pids: () => (postmaster ? childPids(postmaster) : []),
    async stop() {
      if (!given) await promisify(execFile)("bash", [script, "stop"], { env });
    },
  };
}
