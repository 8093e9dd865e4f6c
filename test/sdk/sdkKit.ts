// Shared by the SDK tests: the built bundle (built on demand), the demo service, a log-capturing
// logger, an operator's helpers for running actions, and a server on a fixed port for restarts.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadConfig } from "../../src/config.js";
import { createUser } from "../../src/domain/users.js";
import { createLogger } from "../../src/log.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { rootPath } from "../../src/paths.js";
import { TERMINAL_COMMAND_STATUSES } from "../../src/vocabulary.js";
import type { Client } from "../helpers.js";
import { databaseEnvFor } from "../testDb.js";

type Sdk = typeof import("../../sdk/src/index.js");
export type { CapsuleAgent, Logger } from "../../sdk/src/index.js";

const BUNDLE = rootPath("sdk/dist/index.mjs");

/** The SDK exactly as a service gets it: the minified ESM bundle. */
export async function loadSdk(): Promise<Sdk> {
  if (!existsSync(BUNDLE)) {
    const r = spawnSync(process.execPath, [rootPath("sdk/build.mjs")], { stdio: "inherit" });
    if (r.status !== 0) throw new Error("building the SDK failed");
  }
  return (await import(pathToFileURL(BUNDLE).href)) as Sdk;
}

export interface DemoService {
  agent: InstanceType<Sdk["CapsuleAgent"]>;
  state: Record<string, unknown>;
  events: import("node:events").EventEmitter;
}

export async function loadDemo(): Promise<{ createDemoService(opts: Record<string, unknown>): DemoService; DEMO_CODE: string }> {
  await loadSdk();
  return import(pathToFileURL(rootPath("demo/service.mjs")).href);
}

/** A logger that keeps every line (level, message and fields) for assertions and secret scans. */
export function captureLogger() {
  const lines: string[] = [];
  const push = (level: string) => (message: string, fields?: Record<string, unknown>) => lines.push(`${level} ${message} ${fields ? JSON.stringify(fields) : ""}`);
  return { lines, logger: { debug: push("debug"), info: push("info"), warn: push("warn"), error: push("error") } };
}

/** Polls until fn returns something truthy, and returns it (typed without the falsy cases). */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 5000, what = "condition"): Promise<Exclude<T, undefined | null | false | 0 | "">> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as Exclude<T, undefined | null | false | 0 | "">;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const TERMINAL: readonly string[] = TERMINAL_COMMAND_STATUSES;

/** Executes an action as the operator and returns the created command (throws on refusal). */
export async function execute(op: Client, serviceId: string, action: string, body: object = {}): Promise<{ id: string; status: string }> {
  const r = await op.post(`/api/admin/capsule-services/${serviceId}/actions/${action}`, body);
  if (r.status !== 200) throw new Error(`execute ${action}: ${r.status} ${r.text}`);
  return r.body.data;
}

export async function waitTerminal(op: Client, commandId: string, timeoutMs = 5000): Promise<any> {
  return waitFor(async () => {
    const r = await op.get(`/api/admin/commands/${commandId}`);
    return TERMINAL.includes(r.body?.data?.status) ? r.body.data : undefined;
  }, timeoutMs, `command ${commandId} to finish`);
}

/** A server on a fixed port and data dir, so a test can stop it and start another in its place. */
export async function startFixedServer(dataDir: string, port: number): Promise<RunningServer> {
  const dbEnv = await databaseEnvFor(dataDir); // PostgreSQL: the restarted server finds the same database
  const config = loadConfig({ CAPSTAN_PORT: String(port), CAPSTAN_DATA_DIR: dataDir, CAPSTAN_LOG_LEVEL: "silent", ...dbEnv });
  return startServer({ config, log: createLogger({ level: "silent", format: "json" }) });
}

/** An operator session on a server started with startFixedServer (the user is created on first use). */
export async function operatorOn(s: RunningServer, create: boolean): Promise<Client> {
  const username = "sdk-operator";
  const password = "sdk-operator-password-1";
  if (create) await createUser(s.app, { type: "SYSTEM", id: null }, { username, password, role: "operator" });
  const res = await fetch(s.url + "/api/admin/auth/login", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  const { data } = (await res.json()) as { data: { csrfToken: string } };
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const req = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(s.url + path, {
      method, headers: { cookie, "x-csrf-token": data.csrfToken, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: r.status, body: parsed, headers: r.headers, text };
  };
  return { req, get: (p) => req("GET", p), post: (p, b) => req("POST", p, b ?? {}) } as Client;
}

export const tokenFileIn = (dir: string, name = "agent-token.json") => join(dir, "sdk", name);
