// user create|reset-password|list, token create, api-token create through the built binary, against
// the database of a running server (SQLite lets the CLI write beside it).
import t from "tap";
import { verifyPassword } from "../../src/auth/passwords.js";
import { sha256Hex } from "../../src/ids.js";
import { reportedService } from "../fixtures.js";
import { startTestServer } from "../helpers.js";
import { runCli } from "./_run.js";
import { sqliteOnly } from "../testDb.js";

t.test("user create, list, reset-password", async (t) => {
  const s = await startTestServer(t);
  const dataDir = s.config.dataDir;
  const password = "cli-created-password-1";

  const created = await runCli(["user", "create", "--username", "carol", "--role", "operator", "--display-name", "Carol", "--password-stdin", "--data-dir", dataDir], { input: `${password}\n` });
  t.equal(created.status, 0, created.stderr);
  t.match(created.stdout, /created operator carol \(usr_/);
  const login = await s.anon.post("/api/admin/auth/login", { username: "carol", password });
  t.equal(login.status, 200, "the new user logs in with the password from stdin");
  t.equal(login.body.data.user.role, "operator");

  const fromEnv = await runCli(["user", "create", "--username", "dave", "--role", "viewer", "--data-dir", dataDir], { env: { CAPSTAN_USER_PASSWORD: "dave-env-password-12" } });
  t.equal(fromEnv.status, 0, "the password may come from CAPSTAN_USER_PASSWORD");

  const noPassword = await runCli(["user", "create", "--username", "erin", "--role", "viewer", "--data-dir", dataDir]);
  t.equal(noPassword.status, 2, "no password given: usage error");
  t.match(noPassword.stderr, /--password-stdin.*CAPSTAN_USER_PASSWORD/);
  const argvPassword = await runCli(["user", "create", "--username", "erin", "--role", "viewer", "--password", "in-argv-password-1", "--data-dir", dataDir]);
  t.equal(argvPassword.status, 2, "a password on the command line is not accepted");
  const short = await runCli(["user", "create", "--username", "erin", "--role", "viewer", "--password-stdin", "--data-dir", dataDir], { input: "short\n" });
  t.equal(short.status, 2);
  t.match(short.stderr, /at least 12 characters/);
  const badRole = await runCli(["user", "create", "--username", "erin", "--role", "admin", "--password-stdin", "--data-dir", dataDir], { input: `${password}\n` });
  t.equal(badRole.status, 2, "unknown role");
  const duplicate = await runCli(["user", "create", "--username", "carol", "--role", "viewer", "--password-stdin", "--data-dir", dataDir], { input: `${password}\n` });
  t.equal(duplicate.status, 1, "an existing username is a failure");
  t.match(duplicate.stderr, /already exists/);

  const list = await runCli(["user", "list", "--data-dir", dataDir]);
  t.equal(list.status, 0);
  t.match(list.stdout, /^USERNAME\s+ROLE\s+STATUS/);
  t.match(list.stdout, /^carol\s+operator\s+ACTIVE/m);
  const json = JSON.parse((await runCli(["user", "list", "--json", "--data-dir", dataDir])).stdout) as { username: string; role: string }[];
  t.same(json.map((u) => u.username).sort(), ["carol", "dave"]);
  t.notMatch(JSON.stringify(json), /argon2|password/i, "no hashes in the listing");

  const session = await s.loginAs("operator", "carol-again");
  const newPassword = "carol-reset-password-2";
  const reset = await runCli(["user", "reset-password", "--username", "carol", "--password-stdin", "--data-dir", dataDir], { input: newPassword });
  t.equal(reset.status, 0, reset.stderr);
  const hash = (await s.db.get<{ password_hash: string }>(`SELECT password_hash FROM users WHERE username = 'carol'`))!.password_hash;
  t.ok(await verifyPassword(hash, newPassword), "the new password is set");
  t.notOk(await verifyPassword(hash, password), "the old one no longer works");
  t.equal((await session.get("/api/admin/auth/me")).status, 200, "other users' sessions are untouched");
  const missing = await runCli(["user", "reset-password", "--username", "nobody", "--password-stdin", "--data-dir", dataDir], { input: newPassword });
  t.equal(missing.status, 1);
  t.match(missing.stderr, /no user named nobody/);

  const audit = await s.db.all(`SELECT action, actor_type FROM audit_events WHERE action IN ('user.created', 'user.password.reset') AND target_id IN (SELECT id FROM users WHERE username IN ('carol', 'dave')) ORDER BY id`);
  t.same(audit, [
    { action: "user.created", actor_type: "SYSTEM" }, { action: "user.created", actor_type: "SYSTEM" }, { action: "user.password.reset", actor_type: "SYSTEM" },
  ], "CLI changes are audited");
  t.notOk(s.logs.some((l) => l.includes(password) || l.includes(newPassword)), "no password in the server log");
});

t.test("commands need an existing database", sqliteOnly("a missing SQLite file under --data-dir; a PostgreSQL URL names an existing database"), async (t) => {
  const dir = t.testdir();
  for (const args of [["user", "list"], ["token", "create"], ["api-token", "create", "--user", "x"]]) {
    const r = await runCli([...args, "--data-dir", `${dir}/missing`]);
    t.equal(r.status, 1, `${args.join(" ")} on a missing database`);
    t.match(r.stderr, /no database at/);
  }
});

t.test("token create prints a registration token an agent can use", async (t) => {
  const s = await startTestServer(t);
  const r = await runCli(["token", "create", "--name", "edge fleet", "--expires-in", "3600", "--max-uses", "2", "--data-dir", s.config.dataDir]);
  t.equal(r.status, 0, r.stderr);
  const raw = r.stdout.trim();
  t.match(raw, /^opstage_reg_[0-9A-Za-z]{43}$/, "only the token on stdout");
  t.match(r.stderr, /edge fleet.*2 use/);
  const row = (await s.db.get<Record<string, unknown>>(`SELECT name, max_uses, status, expires_at FROM registration_tokens WHERE token_hash = ?`, [sha256Hex(raw)]))!;
  t.equal(row.name, "edge fleet");
  t.equal(row.max_uses, 2);
  t.ok(row.expires_at);
  t.notOk(await s.db.get(`SELECT 1 FROM registration_tokens WHERE token_hash = ?`, [raw]), "never stored raw");
  const reg = await s.anon.post("/api/agents/register", { registrationToken: raw, agent: { code: "cli-agent", mode: "embedded" }, service: reportedService("cli-svc") });
  t.equal(reg.status, 200, "an agent registers with it");

  const reusable = await runCli(["token", "create", "--max-uses", "5", "--data-dir", s.config.dataDir]);
  t.equal(reusable.status, 2, "a reusable token needs an expiry");
  t.match(reusable.stderr, /expiresInSeconds/);
  t.equal((await runCli(["token", "create", "--expires-in", "ten", "--data-dir", s.config.dataDir])).status, 2);
});

t.test("api-token create prints a personal token that works on the admin API", async (t) => {
  const s = await startTestServer(t);
  await s.loginAs("viewer", "vera");
  const r = await runCli(["api-token", "create", "--user", "vera", "--name", "grafana", "--expires-in", "86400", "--data-dir", s.config.dataDir]);
  t.equal(r.status, 0, r.stderr);
  const raw = r.stdout.trim();
  t.match(raw, /^capstan_pat_[0-9A-Za-z]{43}$/);
  const me = await s.clientWith({ token: raw }).get("/api/admin/auth/me");
  t.equal(me.status, 200);
  t.equal(me.body.data.user.username, "vera");
  t.equal(me.body.data.via, "apiToken");
  t.ok(await s.db.get(`SELECT 1 FROM api_tokens WHERE token_hash = ? AND name = 'grafana' AND expires_at IS NOT NULL`, [sha256Hex(raw)]));

  t.equal((await runCli(["api-token", "create", "--data-dir", s.config.dataDir])).status, 2, "--user is required");
  const unknown = await runCli(["api-token", "create", "--user", "nobody", "--data-dir", s.config.dataDir]);
  t.equal(unknown.status, 1);
  t.match(unknown.stderr, /no user named nobody/);
  t.equal((await runCli(["api-token", "create", "--user", "vera", "--expires-in", "5", "--data-dir", s.config.dataDir])).status, 2, "expiry below a minute");
});
