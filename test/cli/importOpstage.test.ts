// capstan import-opstage (spec upstream-v04.md section 4): an upstream-shaped database is imported into
// a running Capstan's database (SQLite or PostgreSQL); the imported agent's old token heartbeats, an
// imported user logs in with the old password (re-hashed to argon2id), counts match, a second run is a
// no-op, a non-empty target needs --force, and a bad file or a failing row leaves the target untouched.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { getUserByUsername } from "../../src/db/users.js";
import { startTestServer, type TestServer } from "../helpers.js";
import { FIXTURE, writeOpstageDb } from "./_opstageFixture.js";
import { runCli } from "./_run.js";

t.setTimeout(240_000);

const importInto = (s: TestServer, file: string, ...extra: string[]) => runCli(["import-opstage", file, "--data-dir", s.config.dataDir, ...extra]);

/** "table in-file imported skipped" lines -> { table: [inFile, imported, skipped] } */
const counts = (stdout: string): Record<string, number[]> =>
  Object.fromEntries(stdout.trim().split("\n").slice(1).map((l) => l.trim().split(/\s+/)).map(([tb, ...n]) => [tb, n.map(Number)]));

const totals = async (s: TestServer) => {
  const c = await s.loginAs("owner", "import-checker");
  const total = async (path: string) => (await c.get(path)).body.pagination.total as number;
  return {
    agents: await total("/api/admin/agents"), services: await total("/api/admin/capsule-services"), commands: await total("/api/admin/commands"),
    users: await total("/api/admin/users"), imports: await total("/api/admin/audit-events?action=system.import.completed"),
  };
};

t.test("an upstream database is imported: old agent token heartbeats, old password logs in, counts match, second run is a no-op", async (t) => {
  const s = await startTestServer(t);
  const file = join(s.config.dataDir, "opstage.db");
  writeOpstageDb(file);

  const run = await importInto(s, file);
  t.equal(run.status, 0, run.stderr);
  const n = counts(run.stdout);
  t.same(n.users, [2, 2, 0]);
  t.same(n.agents, [2, 2, 0]);
  t.same(n.agent_tokens, [3, 3, 0]);
  t.same(n.registration_tokens, [2, 2, 0]);
  t.same(n.capsule_services, [3, 3, 0]);
  t.same(n.config_items, [3, 3, 0]);
  t.same(n.action_definitions, [3, 3, 0]);
  t.same(n.commands, [3, 3, 0]);
  t.same(n.command_results, [2, 2, 0]);
  t.same(n.audit_events, [FIXTURE.audit, FIXTURE.audit, 0]);
  t.same(n.bus_routes, [1, 1, 0]);

  // the imported agent's old token works against Capstan: no re-registration
  const web = s.clientWith({ token: FIXTURE.agent.token });
  const hb = await web.post(`/api/agents/${FIXTURE.agent.id}/heartbeat`, { serviceId: FIXTURE.services[0], health: { status: "UP" } });
  t.equal(hb.status, 200, hb.text);
  const hub = s.clientWith({ token: FIXTURE.hub.token });
  t.equal((await hub.get(`/api/agents/${FIXTURE.hub.id}/commands`)).status, 200, "the OpHub's token polls");
  const revoked = await s.clientWith({ token: FIXTURE.revokedToken }).post(`/api/agents/${FIXTURE.agent.id}/heartbeat`, {});
  t.equal(revoked.body.error?.code, "AGENT_TOKEN_REVOKED", "a revoked upstream token stays revoked");

  // the imported user logs in with the old password; the bcrypt hash becomes argon2id
  t.match((await getUserByUsername(s.app.db, FIXTURE.owner.username))!.passwordHash, /^\$2[aby]\$12\$/);
  const wrong = await s.anon.post("/api/admin/auth/login", { username: FIXTURE.owner.username, password: "not-the-password" });
  t.equal(wrong.status, 401);
  const login = await s.anon.post("/api/admin/auth/login", { username: FIXTURE.owner.username, password: FIXTURE.owner.password });
  t.equal(login.status, 200, login.text);
  t.equal(login.body.data.user.role, "owner");
  t.match((await getUserByUsername(s.app.db, FIXTURE.owner.username))!.passwordHash, /^\$argon2id\$/, "re-hashed at login");
  const again = await s.anon.post("/api/admin/auth/login", { username: FIXTURE.owner.username, password: FIXTURE.owner.password });
  t.equal(again.status, 200, "the argon2id hash verifies the same password");
  t.match((await getUserByUsername(s.app.db, FIXTURE.viewer.username))!.passwordHash, /^\$2[aby]\$/, "a user who did not log in keeps the bcrypt hash");
  const alice = s.clientWith({ cookie: login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ") });
  t.equal((await alice.get("/api/admin/audit-events?action=user.password.rehashed")).body.pagination.total, 1, "the re-hash is audited once");

  // counts through the admin API (the checker's own account adds one user)
  const before = await totals(s);
  t.same(before, { agents: 2, services: 3, commands: 3, users: 3, imports: 1 });

  // mapped values: the unfinished upstream command is expired, secrets are redacted, the mode is kept
  const c = await s.loginAs("owner", "import-checker");
  const cmd = (await c.get(`/api/admin/commands/${FIXTURE.commands[2]}`)).body.data;
  t.equal(cmd.status, "EXPIRED");
  t.equal(cmd.errorCode, "COMMAND_EXPIRED");
  t.equal((await c.get(`/api/admin/commands/${FIXTURE.commands[0]}`)).body.data.status, "SUCCEEDED");
  t.equal((await c.get(`/api/admin/agents/${FIXTURE.hub.id}`)).body.data.mode, "ophub");
  const cfg = (await c.get(`/api/admin/capsule-services/${FIXTURE.services[0]}/configs`)).body.data;
  t.equal(cfg[0].valuePreview, null, "a sensitive upstream value is not kept");
  const { databaseText } = await import("../testDb.js");
  const text = databaseText(s);
  for (const secret of ["hunter2-upstream", "sk-upstream-secret", "opstage_agent_leaked"]) t.notOk(text.includes(secret), `${secret} is not in the database`);

  // a second run changes nothing (not even the audit trail)
  const second = await importInto(s, file);
  t.equal(second.status, 0, second.stderr);
  t.match(second.stderr, /nothing to import/);
  t.ok(Object.values(counts(second.stdout)).every(([, imported]) => imported === 0), "nothing imported the second time");
  t.same(await totals(s), before);
});

t.test("a Capstan database that holds data is refused without --force", async (t) => {
  const s = await startTestServer(t);
  await s.loginAs("owner", "existing-owner");
  const file = join(s.config.dataDir, "opstage.db");
  writeOpstageDb(file);
  const refused = await importInto(s, file);
  t.equal(refused.status, 1);
  t.match(refused.stderr, /already holds data.*--force/);
  t.same(await totals(s), { agents: 0, services: 0, commands: 0, users: 2, imports: 0 });
  const forced = await importInto(s, file, "--force");
  t.equal(forced.status, 0, forced.stderr);
  t.same(await totals(s), { agents: 2, services: 3, commands: 3, users: 4, imports: 1 });
});

t.test("an unreadable, non-Opstage or failing file is a clear error and writes nothing", async (t) => {
  const s = await startTestServer(t);
  const dir = s.config.dataDir;
  const missing = await importInto(s, join(dir, "nope.db"));
  t.equal(missing.status, 2);
  t.match(missing.stderr, /cannot open/);
  writeFileSync(join(dir, "text.db"), "this is not a database at all, just some text that is long enough to have a header");
  const text = await importInto(s, join(dir, "text.db"));
  t.equal(text.status, 2);
  t.match(text.stderr, /not an Opstage CE database|file is not a database/);
  const other = join(dir, "other.db");
  const Database = (await import("better-sqlite3")).default;
  const o = new Database(other);
  o.exec("CREATE TABLE users (id TEXT, name TEXT)");
  o.close();
  const notOpstage = await importInto(s, other);
  t.equal(notOpstage.status, 2);
  t.match(notOpstage.stderr, /is not an Opstage CE database: it has no table workspaces/);

  // a row Capstan cannot store (an agent without a code) fails the import after users were written: all rolled back
  const broken = join(dir, "broken.db");
  writeOpstageDb(broken, { broken: true });
  const failed = await importInto(s, broken);
  t.equal(failed.status, 1);
  t.match(failed.stderr, /import failed, nothing was imported/);
  t.same(await totals(s), { agents: 0, services: 0, commands: 0, users: 1, imports: 0 }, "only the checker's own account");
});
