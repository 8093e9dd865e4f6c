// Starts the servers the benchmarks measure, each in its own process: the built Capstan CLI
// (dist/capstan.js serve) and the bare node:http baseline. Unlike demo/launch.mjs this keeps the
// server's own log level (info, the shipped default) with its output discarded or captured, times
// the start to the first ready answer, and exposes the pid so /proc can be sampled.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const CAPSTAN_BIN = join(ROOT, "dist/capstan.js");
export const ADMIN = { username: "bench-owner", password: "bench-owner-password-1" };

/** One GET without keep-alive; resolves the status code, or 0 when nothing answers yet. */
export function probe(url) {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.end();
  });
}

async function waitReady(url, child, t0, timeoutMs = 30_000) {
  while (performance.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    if ((await probe(url)) === 200) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2)); // fine-grained: cold start is the figure
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function stopper(child, cleanup) {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await new Promise((r) => child.once("exit", r));
      clearTimeout(killer);
    }
    cleanup?.();
  };
}

const pgDatabases = new Map();
/** Seals the bench's secret payloads on PostgreSQL (a throwaway database; never a real installation's key). */
const BENCH_SECRET_KEY = "be7c4000000000000000000000000000000000000000000000000000000be7c4";

/**
 * CAPSTAN_TEST_DATABASE=postgres (the test suite's switch, with CAPSTAN_TEST_PG_URL): each data dir
 * gets its own empty PostgreSQL database (the server migrates it), shared by restarts on that dir; a
 * data dir that already holds a seeded capstan.db stays on SQLite. The databases go with the
 * throwaway test cluster.
 */
async function databaseEnvFor(dir) {
  const base = process.env.CAPSTAN_TEST_PG_URL;
  if (process.env.CAPSTAN_TEST_DATABASE !== "postgres" || !base || existsSync(join(dir, "capstan.db"))) return {};
  if (!pgDatabases.has(dir)) {
    const { createDatabase } = await import("./pg.mjs");
    pgDatabases.set(dir, await createDatabase(base, `capstan_bench_${process.pid}_${pgDatabases.size}`));
  }
  return { CAPSTAN_DATABASE_URL: pgDatabases.get(dir) };
}

/**
 * Capstan from dist/capstan.js on a temporary (or given) data dir. `logs: "capture"` collects
 * stderr lines (the JSON access log) in `logLines`; otherwise they are discarded. `databaseUrl`:
 * a PostgreSQL URL, or null for SQLite whatever the environment says; when omitted, the test
 * suite's switch decides (databaseEnvFor).
 */
export async function startCapstan({ env = {}, dataDir, logs = "discard", nodeArgs = [], databaseUrl } = {}) {
  if (!existsSync(CAPSTAN_BIN)) throw new Error("dist/capstan.js is missing: run `npm run build` first");
  const ownDir = !dataDir;
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "capstan-bench-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dbEnv = databaseUrl === undefined ? await databaseEnvFor(dir) : databaseUrl === null ? {} : { CAPSTAN_DATABASE_URL: databaseUrl };
  // PostgreSQL requires CAPSTAN_SECRET_KEY, the same on every node of one database: one fixed bench key
  if (dbEnv.CAPSTAN_DATABASE_URL && !env.CAPSTAN_SECRET_KEY) dbEnv.CAPSTAN_SECRET_KEY = BENCH_SECRET_KEY;
  const inherited = { ...process.env };
  if (databaseUrl !== undefined) delete inherited.CAPSTAN_DATABASE_URL;
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, CAPSTAN_BIN, "serve"], {
    stdio: ["ignore", "pipe", logs === "capture" ? "pipe" : "ignore"],
    env: {
      ...inherited,
      CAPSTAN_HOST: "127.0.0.1", CAPSTAN_PORT: String(port), CAPSTAN_DATA_DIR: dir,
      CAPSTAN_ADMIN_USERNAME: ADMIN.username, CAPSTAN_ADMIN_PASSWORD: ADMIN.password,
      CAPSTAN_LOG_LEVEL: "info", CAPSTAN_LOG_FORMAT: "json",
      ...dbEnv, ...env,
    },
  });
  const logLines = [];
  if (logs === "capture") createInterface({ input: child.stderr }).on("line", (l) => logLines.push(l));
  // "listening on" is printed after the owner account exists, so logging in cannot race its creation.
  const announced = new Promise((resolve) => {
    createInterface({ input: child.stdout }).on("line", (l) => l.includes("listening on") && resolve());
    child.once("exit", resolve);
  });
  const stop = stopper(child, () => ownDir && rmSync(dir, { recursive: true, force: true }));
  try {
    const readyMs = await waitReady(`${url}/readyz`, child, t0);
    await announced;
    return { url, port, pid: child.pid, child, dataDir: dir, readyMs, logLines, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The bare node:http baseline (bench/bare-server.mjs) in its own process. */
export async function startBare() {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, "bench/bare-server.mjs"), "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`bare server exited with code ${code}`)));
    createInterface({ input: child.stdout }).once("line", (l) => resolve(Number(l.split(" ")[1])));
  });
  const url = `http://127.0.0.1:${port}`;
  const readyMs = await waitReady(`${url}/readyz`, child, t0);
  return { url, port, pid: child.pid, child, readyMs, stop: stopper(child) };
}

/** An admin JSON client on a cookie session: (method, path, body?) -> data; throws on refusal. */
export async function adminClient(base, { username, password } = ADMIN) {
  const res = await fetch(`${base}/api/admin/auth/login`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`admin login failed: ${res.status}`);
  const { data } = await res.json();
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const call = async (method, path, body) => {
    const r = await fetch(base + path, {
      method, headers: { cookie, "x-csrf-token": data.csrfToken, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${json?.error?.code ?? ""} ${json?.error?.message ?? ""}`);
    return json.data;
  };
  call.cookie = cookie;
  return call;
}
