// backup and restore through the built binary: a live server is never restored under, a bad file
// never replaces a good database, and a restored database comes back with the backup's data.
import Database from "better-sqlite3";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { runCli, startServe } from "./_run.js";
import { onPostgres, sqliteOnly } from "../testDb.js";

const OWNER = { CAPSTAN_ADMIN_USERNAME: "boss", CAPSTAN_ADMIN_PASSWORD: "backup-test-password-1" };

const login = (url: string, username: string, password: string) =>
  fetch(`${url}/api/admin/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }) });

t.test("backup while serving, restore refused while serving, restore after stop", sqliteOnly('capstan backup/restore copy the SQLite file (PostgreSQL: pg_dump/pg_restore, tested below)'), async (t) => {
  const root = t.testdir();
  const dataDir = join(root, "data");
  const server = await startServe(dataDir, OWNER);
  t.teardown(() => { if (server.proc.exitCode === null) server.proc.kill("SIGKILL"); });
  t.equal((await login(server.url, "boss", OWNER.CAPSTAN_ADMIN_PASSWORD)).status, 200);

  const defaultBackup = await runCli(["backup", "--data-dir", dataDir]);
  t.equal(defaultBackup.status, 0, defaultBackup.stderr);
  t.match(defaultBackup.stdout.trim(), /\/backups\/capstan-\d{8}T\d{6}Z\.db$/, "default file in <data dir>/backups");
  t.ok(existsSync(defaultBackup.stdout.trim()));
  const file = join(root, "snapshot.db");
  const backup = await runCli(["backup", file, "--data-dir", dataDir]);
  t.equal(backup.status, 0, backup.stderr);
  t.match(backup.stderr, /integrity ok/);
  const exists = await runCli(["backup", file, "--data-dir", dataDir]);
  t.equal(exists.status, 1, "never overwrites a file");

  // a change after the backup, which the restore must undo
  const later = await runCli(["user", "create", "--username", "later", "--role", "viewer", "--password-stdin", "--data-dir", dataDir], { input: "created-after-backup-1" });
  t.equal(later.status, 0);
  t.equal((await login(server.url, "later", "created-after-backup-1")).status, 200);

  const refused = await runCli(["restore", file, "--data-dir", dataDir]);
  t.equal(refused.status, 1, "restore refuses a live server's database");
  t.match(refused.stderr, /stop it before restoring/);
  const second = await runCli(["serve", "--port", "0", "--data-dir", dataDir]);
  t.equal(second.status, 1, "a second server on the same data dir is refused");
  t.match(second.stderr, /another Capstan server/);

  server.proc.kill("SIGTERM");
  t.equal((await server.exited).code, 0);
  const restored = await runCli(["restore", file, "--data-dir", dataDir]);
  t.equal(restored.status, 0, restored.stderr);
  t.match(restored.stdout, /kept as capstan\.db\.before-restore-/);
  t.ok(readdirSync(dataDir).some((f) => f.startsWith("capstan.db.before-restore-")), "the replaced database is kept");

  const back = await startServe(dataDir);
  t.teardown(() => { if (back.proc.exitCode === null) back.proc.kill("SIGKILL"); });
  t.equal((await login(back.url, "boss", OWNER.CAPSTAN_ADMIN_PASSWORD)).status, 200, "the backup's data is there");
  t.equal((await login(back.url, "later", "created-after-backup-1")).status, 401, "the later change is gone");
  back.proc.kill("SIGTERM");
  t.equal((await back.exited).code, 0);
});

t.test("restore refuses bad files and leaves the database alone", sqliteOnly('capstan backup/restore copy the SQLite file (PostgreSQL: pg_dump/pg_restore, tested below)'), async (t) => {
  const root = t.testdir();
  const dataDir = join(root, "data");
  t.equal((await runCli(["migrate", "--data-dir", dataDir])).status, 0);
  const before = readdirSync(dataDir).sort();

  const garbage = join(root, "garbage.db");
  writeFileSync(garbage, "this is not a database at all, just some text that is long enough to look like a file".repeat(100));
  const g = await runCli(["restore", garbage, "--data-dir", dataDir]);
  t.equal(g.status, 1);
  t.match(g.stderr, /not a SQLite database|cannot open/);

  const foreign = join(root, "foreign.db");
  const f = new Database(foreign);
  f.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
  f.close();
  const fr = await runCli(["restore", foreign, "--data-dir", dataDir]);
  t.equal(fr.status, 1);
  t.match(fr.stderr, /not a Capstan database/);

  const newer = join(root, "newer.db");
  t.equal((await runCli(["backup", newer, "--data-dir", dataDir])).status, 0);
  const n = new Database(newer);
  n.pragma("user_version = 999");
  n.close();
  const nr = await runCli(["restore", newer, "--data-dir", dataDir]);
  t.equal(nr.status, 1);
  t.match(nr.stderr, /newer than this Capstan/);

  const missing = await runCli(["restore", join(root, "nope.db"), "--data-dir", dataDir]);
  t.equal(missing.status, 1);
  t.match(missing.stderr, /no such file/);

  t.same(readdirSync(dataDir).sort(), before, "nothing replaced, nothing left behind");
  const db = new Database(join(dataDir, "capstan.db"), { readonly: true });
  t.equal(db.pragma("integrity_check", { simple: true }), "ok");
  db.close();
});

t.test("a stale serve lock (crashed server) does not block restore", sqliteOnly('capstan backup/restore copy the SQLite file (PostgreSQL: pg_dump/pg_restore, tested below)'), async (t) => {
  const root = t.testdir();
  const dataDir = join(root, "data");
  t.equal((await runCli(["migrate", "--data-dir", dataDir])).status, 0);
  const file = join(root, "b.db");
  t.equal((await runCli(["backup", file, "--data-dir", dataDir])).status, 0);
  // a pid that cannot be running and a URL nobody answers
  writeFileSync(join(dataDir, "capstan.pid"), JSON.stringify({ pid: 2 ** 22 + 7, url: "http://127.0.0.1:9", startedAt: "2020-01-01T00:00:00Z" }));
  const r = await runCli(["restore", file, "--data-dir", dataDir]);
  t.equal(r.status, 0, r.stderr);
});

t.test("PostgreSQL: capstan backup and restore exit 1 with the exact pg_dump/pg_restore commands", { skip: onPostgres ? false : "PostgreSQL only (CAPSTAN_TEST_DATABASE=postgres)" }, async (t) => {
  const dataDir = join(t.testdir(), "data");
  const backup = await runCli(["backup", "--data-dir", dataDir]);
  t.equal(backup.status, 1);
  t.match(backup.stderr, /uses PostgreSQL/);
  t.match(backup.stderr, /pg_dump --format=custom --file=capstan\.dump "postgres:\/\/\S+"/);
  t.match(backup.stderr, /pg_restore --clean --if-exists --no-owner --dbname="postgres:\/\/\S+" capstan\.dump/);
  t.notMatch(backup.stderr, /\n\s+at /, "a message, not a stack trace");
  const restore = await runCli(["restore", "some.db", "--data-dir", dataDir]);
  t.equal(restore.status, 1);
  t.match(restore.stderr, /pg_restore /);
});
