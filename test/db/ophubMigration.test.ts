// Migration 012 rebuilds SQLite's agents table (to add mode 'ophub' to its CHECK) under foreign_keys
// off. An existing version-10 file keeps every agent with its columns, every child row (tokens,
// services, commands) still points at the rebuilt table (a delete cascades / sets null), and the
// indexes are back. PostgreSQL replaces the CHECK in place (covered by the vocabulary test there).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import t from "tap";
import { migrationFiles, openSqlite } from "../../src/db/sqlite.js";
import { rootPath } from "../../src/paths.js";
import { sqliteOnly } from "../testDb.js";

const AT = "2026-05-01T12:00:00.000Z";

function beforeOphub(path: string): void {
  const db = new Database(path);
  db.pragma("foreign_keys = ON");
  db.exec(readFileSync(rootPath("schema.sql"), "utf8"));
  for (const m of migrationFiles().filter((f) => f.version < 12)) db.exec(readFileSync(rootPath("migrations", m.file), "utf8"));
  db.pragma("user_version = 11");
  db.prepare(`INSERT INTO agents (id, code, name, mode, runtime, version, hostname, os, arch, status, last_heartbeat_at, registered_at, created_at, updated_at)
    VALUES ('agt_1', 'a1', 'A1', 'embedded', 'nodejs', '1.2.3', 'h1', 'linux', 'x64', 'ONLINE', ?, ?, ?, ?)`).run(AT, AT, AT, AT);
  db.prepare(`INSERT INTO agent_tokens (id, agent_id, token_hash, created_at) VALUES ('atk_1', 'agt_1', 'hash-1', ?)`).run(AT);
  db.prepare(`INSERT INTO capsule_services (id, agent_id, code, name, created_at, updated_at) VALUES ('svc_1', 'agt_1', 's1', 'S1', ?, ?)`).run(AT, AT);
  db.prepare(`INSERT INTO commands (id, agent_id, service_id, type, action_name, status, created_at, expires_at)
    VALUES ('cmd_1', 'agt_1', 'svc_1', 'ACTION_EXECUTE', 'echo', 'SUCCEEDED', ?, ?)`).run(AT, AT);
  db.close();
}

t.test("a file from before 012 keeps every agent and child row; mode 'ophub' is accepted", sqliteOnly("the rebuild is SQLite's"), async (t) => {
  const path = join(t.testdir(), "capstan.db");
  beforeOphub(path);
  const db = await openSqlite(path);
  t.teardown(() => db.close());
  t.same(await db.get("SELECT code, name, mode, runtime, version, hostname, os, arch, status, last_heartbeat_at FROM agents WHERE id = 'agt_1'"), {
    code: "a1", name: "A1", mode: "embedded", runtime: "nodejs", version: "1.2.3", hostname: "h1", os: "linux", arch: "x64", status: "ONLINE", last_heartbeat_at: AT,
  }, "columns kept in place");
  t.same(await db.all("SELECT * FROM pragma_foreign_key_check"), [], "no dangling foreign keys");
  await db.run("UPDATE agents SET mode = 'ophub' WHERE id = 'agt_1'");
  await t.rejects(db.run("UPDATE agents SET mode = 'hub' WHERE id = 'agt_1'"), "other modes are still refused");
  const indexes = (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'agents' AND sql IS NOT NULL ORDER BY name")).map((r) => r.name);
  t.same(indexes, ["agents_created", "agents_name", "agents_status"], "every index of the agents table is back");
  t.equal(await db.get("SELECT name FROM sqlite_temp_master WHERE name = 'agents_keep'"), undefined, "no leftover of the rebuild");
  await db.run("DELETE FROM agents WHERE id = 'agt_1'");
  t.equal((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM agent_tokens"))!.n, 0, "tokens still cascade from the rebuilt table");
  t.equal((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM commands"))!.n, 0, "commands still cascade");
  t.equal((await db.get<{ a: string | null }>("SELECT agent_id AS a FROM capsule_services WHERE id = 'svc_1'"))!.a, null, "services are still ON DELETE SET NULL");
});
