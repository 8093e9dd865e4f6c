// Rows for db-module tests, written through the modules themselves over a real SQLite file (or, with
// CAPSTAN_TEST_DATABASE=postgres, a fresh PostgreSQL database).
import { join } from "node:path";
import { insertCommand, finishCommand, claimCommand, type NewCommand } from "../../src/db/commands.js";
import { openDb, type Db } from "../../src/db/open.js";
import { insertUser, type UserRow } from "../../src/db/users.js";
import { newId } from "../../src/ids.js";
import { onPostgres, openTestDb } from "../testDb.js";

export const T0 = Date.parse("2026-05-01T12:00:00.000Z");
/** An ISO time `s` seconds after T0. */
export const at = (s: number): string => new Date(T0 + s * 1000).toISOString();

/** A migrated database in the test's directory, closed at teardown. */
export async function fileDb(t: Parameters<typeof openTestDb>[0] & { testdir(): string }): Promise<Db> {
  if (onPostgres) return openTestDb(t);
  const db = await openDb(join(t.testdir(), "capstan.db"));
  t.teardown(() => db.close());
  return db;
}

export async function addUser(db: Db, username: string, over: Partial<UserRow> = {}): Promise<UserRow> {
  const u: UserRow = {
    id: newId("usr"), username, displayName: null, role: "viewer", status: "ACTIVE", passwordHash: "$argon2id$fake",
    lastLoginAt: null, createdAt: at(0), updatedAt: at(0), ...over,
  };
  await insertUser(db, u);
  return u;
}

/** One agent with one service, for command rows. */
export async function addAgentService(db: Db): Promise<{ agentId: string; serviceId: string }> {
  const agentId = newId("agt");
  const serviceId = newId("svc");
  await db.run(`INSERT INTO agents (id, code, registered_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`, [agentId, agentId, at(0), at(0), at(0)]);
  await db.run(`INSERT INTO capsule_services (id, agent_id, code, name, created_at, updated_at) VALUES (?, ?, ?, 'S', ?, ?)`, [serviceId, agentId, serviceId.toLowerCase(), at(0), at(0)]);
  return { agentId, serviceId };
}

/** A command, optionally run to a terminal status at `completedAt`. */
export async function addCommand(
  db: Db, owner: { agentId: string; serviceId: string }, over: Partial<NewCommand> = {}, end?: { status: "SUCCEEDED" | "FAILED" | "EXPIRED"; at: string },
): Promise<string> {
  const c: NewCommand = {
    id: newId("cmd"), agentId: owner.agentId, serviceId: owner.serviceId, type: "ACTION_EXECUTE", actionName: "echo", payload: {},
    secretFields: null, createdByUserId: null, createdByType: "USER", retryOf: null, sourceEventId: null, timeoutSeconds: null,
    createdAt: at(0), expiresAt: at(3600), ...over,
  };
  await insertCommand(db, c);
  if (end) {
    await claimCommand(db, c.id, c.createdAt, at(7200));
    if (!await finishCommand(db, c.id, "RUNNING", end.status, end.at)) throw new Error("finishCommand did not apply");
  }
  return c.id;
}
