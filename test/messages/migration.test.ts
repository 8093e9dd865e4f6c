// Migration 009 on a SQLite database that already holds commands: the commands table is rebuilt (the
// only way to change its type CHECK) without losing a row, a result, a log line or a sealed secret, the
// foreign keys still hold (and cascade), and MESSAGE commands are accepted afterwards.
import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { codeSchemaVersion, migrate } from "../../src/db/sqlite.js";
import { rootPath } from "../../src/paths.js";
import { sqliteOnly } from "../testDb.js";

t.test("009 keeps every command and its children, then accepts MESSAGE", sqliteOnly("the SQLite table rebuild"), async (t) => {
  const db = new Database(join(t.testdir(), "old.db"));
  t.teardown(() => db.close());
  db.pragma("foreign_keys = ON");
  db.exec(readFileSync(rootPath("schema.sql"), "utf8"));
  for (const f of ["002-bus.sql", "003-hot-path-indexes.sql", "004-command-secrets.sql", "005-limiter-windows.sql"]) db.exec(readFileSync(rootPath("migrations", f), "utf8"));
  db.pragma("user_version = 5");
  const now = "2026-01-01T00:00:00.000Z";
  db.exec(`INSERT INTO workspaces (id, name, created_at) VALUES ('wks_1', 'w', '${now}')`);
  db.exec(`INSERT INTO agents (id, code, name, registered_at, created_at, updated_at) VALUES ('agt_1', 'a', 'A', '${now}', '${now}', '${now}')`);
  db.exec(`INSERT INTO capsule_services (id, agent_id, code, name, created_at, updated_at) VALUES ('svc_1', 'agt_1', 's', 'S', '${now}', '${now}')`);
  for (const id of ["cmd_1", "cmd_2"]) {
    db.exec(`INSERT INTO commands (id, agent_id, service_id, type, action_name, status, created_at, expires_at, retry_of)
      VALUES ('${id}', 'agt_1', 'svc_1', 'ACTION_EXECUTE', 'echo', 'SUCCEEDED', '${now}', '${now}', ${id === "cmd_2" ? "'cmd_1'" : "NULL"})`);
    db.exec(`INSERT INTO command_results (id, command_id, success, reported_at) VALUES ('crs_${id}', '${id}', 1, '${now}')`);
    db.exec(`INSERT INTO command_logs (command_id, at, level, message) VALUES ('${id}', '${now}', 'info', 'line')`);
  }
  db.exec(`INSERT INTO command_secrets (command_id, kind, envelope, created_at) VALUES ('cmd_1', 'secrets', 'x', '${now}')`);

  const r = migrate(db);
  t.same(r, { from: 5, to: codeSchemaVersion() }); // 009 and every later step
  t.equal(db.pragma("foreign_keys", { simple: true }), 1, "foreign keys are back on");
  t.same(db.pragma("foreign_key_check"), []);
  t.equal(db.pragma("integrity_check", { simple: true }), "ok");
  const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  t.same([count("commands"), count("command_results"), count("command_logs"), count("command_secrets")], [2, 2, 2, 1], "nothing lost");
  t.equal((db.prepare(`SELECT retry_of FROM commands WHERE id = 'cmd_2'`).get() as { retry_of: string }).retry_of, "cmd_1");
  db.exec(`INSERT INTO commands (id, agent_id, service_id, type, action_name, created_at, expires_at) VALUES ('cmd_3', 'agt_1', 'svc_1', 'MESSAGE', 'message', '${now}', '${now}')`);
  t.throws(() => db.exec(`INSERT INTO commands (id, agent_id, service_id, type, action_name, created_at, expires_at) VALUES ('cmd_4', 'agt_1', 'svc_1', 'OTHER', 'x', '${now}', '${now}')`), /CHECK/);
  db.exec(`DELETE FROM commands WHERE id = 'cmd_1'`);
  t.same([count("command_results"), count("command_logs"), count("command_secrets")], [1, 1, 0], "children still cascade from the rebuilt table");
  const tokens = db.prepare(`SELECT scopes_json FROM api_tokens`).all();
  t.same(tokens, []);
  const indexes = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'commands' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[]).map((i) => i.name);
  t.same(indexes, ["commands_action", "commands_completed", "commands_created", "commands_expiry", "commands_poll", "commands_service", "commands_status_created", "commands_status_type", "commands_type"], "every index rebuilt");
});
