// Shared by the reliability suite: the built server as a child process (so it can be killed -9),
// raw HTTP that fetch would normalise away, and the database checks every test ends with.
import Database from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import { rootPath } from "../../src/paths.js";
import { databaseEnvFor } from "../testDb.js";

export const ADMIN_PASSWORD = "reliability-admin-password-1";

export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  url: string;
  proc: ChildProcess;
  output: string[];
  /** SIGKILL: no shutdown hook runs, exactly like a power cut of the process (not of the disk). */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<number | null>;
}

const BUILT = rootPath("dist/capstan.js");

/** Starts `node dist/capstan.js serve` and resolves once it prints its listening line. */
export async function spawnServer(opts: { dataDir: string; port: number; env?: Record<string, string> }): Promise<ChildServer> {
  if (!existsSync(BUILT)) throw new Error("dist/capstan.js is missing: run `node scripts/build.mjs` (npm test builds first)");
  const dbEnv = await databaseEnvFor(opts.dataDir); // PostgreSQL: one database per data dir (restarts share it)
  const proc = spawn(process.execPath, [BUILT, "serve"], {
    env: {
      PATH: process.env.PATH ?? "", ...dbEnv,
      CAPSTAN_PORT: String(opts.port), CAPSTAN_DATA_DIR: opts.dataDir, CAPSTAN_ADMIN_PASSWORD: ADMIN_PASSWORD,
      CAPSTAN_LOG_FORMAT: "json", ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 15 s:\n${output.join("")}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.join("").includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", (c: Buffer) => output.push(c.toString()));
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output.join("")}`));
    });
  });
  return {
    url: `http://127.0.0.1:${opts.port}`,
    proc,
    output,
    kill9: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      return exited;
    },
  };
}

/** PRAGMA integrity_check on a closed database file (opening it also replays a WAL left by a crash). */
export function integrityCheck(file: string): string {
  const db = new Database(file);
  try {
    return (db.pragma("integrity_check") as { integrity_check: string }[]).map((r) => r.integrity_check).join("; ");
  } finally {
    db.close();
  }
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
}

/**
 * One request through node:http, which sends the path byte for byte (fetch would resolve `..` and
 * re-encode), with any body bytes, on the given keep-alive agent.
 */
export function rawRequest(
  url: string,
  opts: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string; agent?: http.Agent; timeoutMs?: number; localAddress?: string },
): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname, port: u.port, method: opts.method, path: opts.path, agent: opts.agent ?? false,
        headers: { ...(opts.body !== undefined ? { "content-length": String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers },
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
      },
    );
    req.on("error", reject);
    if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(Object.assign(new Error("client timeout"), { code: "CLIENT_TIMEOUT" })));
    req.end(opts.body);
  });
}

/** A small JSON client over fetch for a server that is not in this process. */
export function jsonClient(base: string, headers: Record<string, string> = {}) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(base + path, {
      method,
      headers: { ...headers, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed };
  };
}

/** Logs in as the bootstrap owner of a child server and creates an API token (survives restarts). */
export async function ownerApiToken(base: string): Promise<string> {
  const login = await fetch(base + "/api/admin/auth/login", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
  });
  if (login.status !== 200) throw new Error(`owner login failed: ${login.status} ${await login.text()}`);
  const { data } = (await login.json()) as { data: { csrfToken: string } };
  const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const res = await fetch(base + "/api/admin/api-tokens", {
    method: "POST", headers: { "content-type": "application/json", cookie, "x-csrf-token": data.csrfToken }, body: JSON.stringify({ name: "reliability" }),
  });
  if (res.status !== 200) throw new Error(`creating an API token failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: { rawToken: string } }).data.rawToken;
}
