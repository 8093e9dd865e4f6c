// Migration 006 rebuilds SQLite's commands table (to widen its status CHECK) under foreign_keys off.
// An existing version-5 file keeps every command and every child row (results, logs, sealed secrets,
// retry links), the children still point at the rebuilt table (a delete cascades), and the indexes
// are back. PostgreSQL changes the CHECK in place (covered by the vocabulary test on that engine).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import t from "tap";
import { migrationFiles, openSqlite } from "../../src/db/sqlite.js";
import { rootPath } from "../../src/paths.js";
import { sqliteOnly } from "../testDb.js";

const AT = "2026-05-01T12:00:00.000Z";

function versionFive(path: string): void {
  const db = new Database(path);
  db.pragma("foreign_keys = ON");
  db.exec(readFileSync(rootPath("schema.sql"), "utf8"));
  for (const m of migrationFiles().filter((f) => f.version <= 5)) db.exec(readFileSync(rootPath("migrations", m.file), "utf8"));
  db.pragma("user_version = 5");
  db.prepare(`INSERT INTO users (id, username, role, password_hash, created_at, updated_at) VALUES ('usr_1', 'ann', 'operator', 'x', ?, ?)`).run(AT, AT);
  db.prepare(`INSERT INTO agents (id, code, registered_at, created_at, updated_at) VALUES ('agt_1', 'a1', ?, ?, ?)`).run(AT, AT, AT);
  db.prepare(`INSERT INTO capsule_services (id, agent_id, code, name, created_at, updated_at) VALUES ('svc_1', 'agt_1', 's1', 'S1', ?, ?)`).run(AT, AT);
  const cmd = db.prepare(`INSERT INTO commands (id, agent_id, service_id, type, action_name, status, payload_json, created_by_user_id, retry_of, created_at, expires_at)
    VALUES (?, 'agt_1', 'svc_1', 'ACTION_EXECUTE', 'echo', ?, '{"a":1}', 'usr_1', ?, ?, ?)`);
  cmd.run("cmd_1", "FAILED", null, AT, AT);
  cmd.run("cmd_2", "PENDING", "cmd_1", AT, AT);
  db.prepare(`INSERT INTO command_results (id, command_id, success, message, reported_at) VALUES ('crs_1', 'cmd_1', 0, 'boom', ?)`).run(AT);
  db.prepare(`INSERT INTO command_logs (command_id, at, level, message) VALUES ('cmd_1', ?, 'info', 'line')`).run(AT);
  db.prepare(`INSERT INTO command_secrets (command_id, kind, envelope, created_at) VALUES ('cmd_2', 'secrets', 'sealed', ?)`).run(AT);
  db.close();
}

t.test("a version-5 SQLite file migrates to 006 with every command and child row intact", sqliteOnly("the rebuild is SQLite's"), async (t) => {
  const path = join(t.testdir(), "capstan.db");
  versionFive(path);
  const db = await openSqlite(path);
  t.teardown(() => db.close());
  t.equal((await db.get<{ v: number }>("SELECT COUNT(*) AS v FROM commands"))!.v, 2, "both commands kept");
  const two = await db.get<{ status: string; retry_of: string; payload_json: string; created_by_user_id: string }>(
    "SELECT status, retry_of, payload_json, created_by_user_id FROM commands WHERE id = 'cmd_2'");
  t.same(two, { status: "PENDING", retry_of: "cmd_1", payload_json: '{"a":1}', created_by_user_id: "usr_1" }, "columns kept in place");
  t.equal((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM command_results"))!.n, 1, "results kept (the DROP did not cascade)");
  t.equal((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM command_logs"))!.n, 1, "logs kept");
  t.equal((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM command_secrets"))!.n, 1, "sealed secrets kept");
  await db.run("UPDATE commands SET status = 'AWAITING_APPROVAL' WHERE id = 'cmd_2'");
  t.equal((await db.get<{ s: string }>("SELECT status AS s FROM commands WHERE id = 'cmd_2'"))!.s, "AWAITING_APPROVAL", "the new status is accepted");
  await t.rejects(db.run("UPDATE commands SET status = 'LIMBO' WHERE id = 'cmd_2'"), "other values are still refused");
  const fkBroken = await db.all("SELECT * FROM pragma_foreign_key_check");
  t.same(fkBroken, [], "no dangling foreign keys");
  await db.run("DELETE FROM commands WHERE id = 'cmd_1'");
  t.equal((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM command_results"))!.n, 0, "children still cascade from the rebuilt table");
  t.equal((await db.get<{ r: string | null }>("SELECT retry_of AS r FROM commands WHERE id = 'cmd_2'"))!.r, null, "retry_of is still ON DELETE SET NULL");
  const indexes = (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'commands' AND sql IS NOT NULL ORDER BY name")).map((r) => r.name);
  t.same(indexes, [
    "commands_action", "commands_completed", "commands_created", "commands_expiry", "commands_poll", "commands_service",
    "commands_status_created", "commands_status_type", "commands_type",
  ], "every index of the commands table is back");
  t.ok((await db.get("SELECT 1 AS x FROM sqlite_master WHERE name = 'commands_new'")) === undefined, "no leftover of the rebuild");
  t.equal((await db.get<{ v: number }>("SELECT foreign_keys AS v FROM pragma_foreign_keys"))!.v, 1, "foreign keys are enforced again after the ladder");
});
