// Test helpers: a real server on 127.0.0.1:0 over a real SQLite file in a tap testdir (or a fresh
// PostgreSQL database with CAPSTAN_TEST_DATABASE=postgres, see testDb.ts).
import { join } from "node:path";
import { loadConfig, type Config } from "../src/config.js";
import { createUser } from "../src/domain/users.js";
import type { Role } from "../src/auth/roles.js";
import { createLogger, type Logger } from "../src/log.js";
import { startServer, type RunningServer } from "../src/server.js";
import { databaseEnv, TEST_SECRET_KEY, useDatabaseFor } from "./testDb.js";

export interface Tap {
  testdir(): string;
  teardown(fn: () => unknown): void;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface Client {
  /** JSON request; adds the session cookie + CSRF header or the bearer token this client holds. */
  req<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  get<T = any>(path: string): Promise<ApiResponse<T>>;
  post<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  cookie?: string;
  csrf?: string;
  token?: string;
  userId?: string;
}

export interface TestServer extends RunningServer {
  config: Config;
  /** Every log line the server wrote (for secret scans). */
  logs: string[];
  /** A client with no credentials. */
  anon: Client;
  /** Logs in (creating the user with that role on first use) and returns a cookie-session client. */
  loginAs(role: Role, username?: string): Promise<Client>;
  /** Passwords used for created users, so secret scans can look for them. */
  passwords: string[];
  clientWith(opts: { cookie?: string; csrf?: string; token?: string; userId?: string }): Client;
}

export const OWNER_PASSWORD = "owner-password-for-tests-1";

/** Closes of the extra nodes on a database (by URL): its first server closes them before the database is dropped. */
const extraNodes = new Map<string, (() => Promise<void>)[]>();

/**
 * A real server. `sameDatabaseAs`: another node on that server's PostgreSQL database (its own pool,
 * runtime and data dir, as a second process would have), for tests of what must hold across nodes;
 * PostgreSQL only (SQLite is single-node: see postgresOnly() in testDb.ts). The first server's
 * teardown closes its extra nodes before it drops the database.
 */
export async function startTestServer(t: Tap, opts: { env?: Record<string, string>; now?: () => Date; sameDatabaseAs?: TestServer } = {}): Promise<TestServer> {
  const first = opts.sameDatabaseAs;
  const sharedUrl = first?.config.databaseUrl;
  if (first && !sharedUrl) throw new Error("sameDatabaseAs needs PostgreSQL (CAPSTAN_TEST_DATABASE=postgres): SQLite is single-node");
  const dir = first ? join(t.testdir(), `node-${(extraNodes.get(sharedUrl!)?.length ?? 0) + 2}`) : t.testdir();
  // CAPSTAN_TEST_DATABASE=postgres: a fresh database per server, dropped after the server (and its extra nodes) closed
  const drops: (() => unknown)[] = [];
  const dbEnv = sharedUrl ? { CAPSTAN_DATABASE_URL: sharedUrl, CAPSTAN_SECRET_KEY: TEST_SECRET_KEY } : await databaseEnv({ teardown: (fn) => drops.push(fn) });
  useDatabaseFor(dir, dbEnv); // a CLI run on this data dir (test/cli/_run.ts) uses the same database
  const config = loadConfig({ CAPSTAN_PORT: "0", CAPSTAN_DATA_DIR: dir, CAPSTAN_LOG_LEVEL: "debug", ...dbEnv, ...opts.env });
  const logs: string[] = [];
  const log: Logger = createLogger({ level: "debug", format: "json", write: (line) => logs.push(line) });
  const running = await startServer({ config, log, ...(opts.now ? { now: opts.now } : {}) });
  if (sharedUrl) extraNodes.set(sharedUrl, [...(extraNodes.get(sharedUrl) ?? []), running.close]);
  t.teardown(async () => {
    await running.close();
    if (!sharedUrl && config.databaseUrl) {
      for (const close of extraNodes.get(config.databaseUrl) ?? []) await close(); // close is idempotent
      extraNodes.delete(config.databaseUrl);
    }
    for (const drop of drops) await drop();
  });
  const passwords: string[] = [];
  const users = new Map<string, Client>();

  const clientWith = (c: { cookie?: string; csrf?: string; token?: string; userId?: string }): Client => {
    const req = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> => {
      const h: Record<string, string> = { ...headers };
      if (c.cookie) h.cookie = c.cookie;
      if (c.csrf && method !== "GET") h["x-csrf-token"] = c.csrf;
      if (c.token) h.authorization = `Bearer ${c.token}`;
      let payload: string | undefined;
      if (body !== undefined) {
        payload = typeof body === "string" ? body : JSON.stringify(body);
        h["content-type"] ??= "application/json";
      }
      const res = await fetch(running.url + path, { method, headers: h, body: payload, redirect: "manual" });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (HTML pages, CSV export)
      }
      return { status: res.status, body: parsed, headers: res.headers, text };
    };
    return { ...c, req, get: (p) => req("GET", p), post: (p, b) => req("POST", p, b ?? {}) };
  };

  const loginAs = async (role: Role, username = `${role}-user`): Promise<Client> => {
    const existing = users.get(username);
    if (existing) return existing;
    const password = `${username}-password-123`;
    passwords.push(password);
    await createUser(running.app, { type: "SYSTEM", id: null }, { username, password, role });
    const res = await fetch(running.url + "/api/admin/auth/login", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) throw new Error(`login failed for ${username}: ${res.status} ${await res.text()}`);
    const json = (await res.json()) as { data: { csrfToken: string; user: { id: string } } };
    const cookie = res.headers.getSetCookie().map((s) => s.split(";")[0]).join("; ");
    const client = clientWith({ cookie, csrf: json.data.csrfToken, userId: json.data.user.id });
    users.set(username, client);
    return client;
  };

  return { ...running, config, logs, anon: clientWith({}), loginAs, passwords, clientWith };
}

export const dbPath = (s: TestServer): string => join(s.config.dataDir, "capstan.db");
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
