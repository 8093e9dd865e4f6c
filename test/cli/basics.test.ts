// help, version, usage errors and migrate, through the built binary.
import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { rootPath } from "../../src/paths.js";
import { runCli } from "./_run.js";
import { databaseEnvFor } from "../testDb.js";
import { openPostgres } from "../../src/db/postgres.js";

const COMMANDS = ["serve", "user", "token", "api-token", "backup", "restore", "migrate", "db", "version"];

t.test("top-level help lists every command; unknown commands are usage errors", async (t) => {
  const help = await runCli(["--help"]);
  t.equal(help.status, 0);
  for (const c of COMMANDS) t.match(help.stdout, new RegExp(`^  ${c} `, "m"), `lists ${c}`);
  t.match(help.stdout, /Exit codes: 0 ok, 1 failure, 2 usage/);
  const unknown = await runCli(["frobnicate"]);
  t.equal(unknown.status, 2);
  t.match(unknown.stderr, /unknown command frobnicate/);
});

t.test("every command has --help (exit 0) and refuses unknown options (exit 2)", async (t) => {
  for (const c of COMMANDS) {
    const sub = c === "user" ? ["user", "create"] : c === "token" || c === "api-token" ? [c, "create"] : c === "db" ? ["db", "copy"] : [c];
    const help = await runCli([...sub, "--help"]);
    t.equal(help.status, 0, `${c} --help`);
    t.match(help.stdout, new RegExp(`usage:[\\s\\S]*capstan ${c}`), `${c} --help shows its usage`);
    const bad = await runCli([...sub, "--no-such-option"]);
    t.equal(bad.status, 2, `${c} --no-such-option is a usage error`);
    t.match(bad.stderr, /no-such-option/);
  }
  t.equal((await runCli(["user"])).status, 2, "user needs a subcommand");
  t.equal((await runCli(["token", "delete"])).status, 2, "unknown token subcommand");
  t.equal((await runCli(["restore"])).status, 2, "restore needs a file");
  t.equal((await runCli(["backup", "a.db", "b.db"])).status, 2, "one backup file at most");
});

t.test("version", async (t) => {
  const pkg = JSON.parse(readFileSync(rootPath("package.json"), "utf8")) as { version: string };
  const v = await runCli(["version"]);
  t.equal(v.status, 0);
  t.equal(v.stdout, `${pkg.version}\n`);
  const j = await runCli(["version", "--json"]);
  t.same(JSON.parse(j.stdout).version, pkg.version);
  t.ok(Number.isInteger(JSON.parse(j.stdout).schemaVersion));
  t.equal((await runCli(["--version"])).stdout, `${pkg.version}\n`);
});

t.test("migrate creates, is idempotent, and refuses a newer database", async (t) => {
  const dir = join(t.testdir(), "data");
  const first = await runCli(["migrate", "--data-dir", dir]);
  t.equal(first.status, 0, first.stderr);
  t.match(first.stdout, /schema version 0 -> \d+/);
  const second = await runCli(["migrate"], { env: { CAPSTAN_DATA_DIR: dir } });
  t.equal(second.status, 0);
  t.match(second.stdout, /up to date/, "the environment variable works as well as the flag");

  const pgUrl = (await databaseEnvFor(dir)).CAPSTAN_DATABASE_URL;
  if (pgUrl) {
    const db = await openPostgres(pgUrl, { poolSize: 1 });
    await db.run("INSERT INTO schema_version (version, file, applied_at) VALUES (999, 'future.sql', '2099-01-01T00:00:00.000Z')");
    await db.close();
  } else {
    const db = new Database(join(dir, "capstan.db"));
    db.pragma("user_version = 999");
    db.close();
  }
  const newer = await runCli(["migrate", "--data-dir", dir]);
  t.equal(newer.status, 1, "a database from a newer Capstan is refused");
  t.match(newer.stderr, /schema version 999 is newer than this Capstan/);
  const serve = await runCli(["serve", "--port", "0", "--data-dir", dir]);
  t.equal(serve.status, 1, "serve refuses it too, before listening");
  t.match(serve.stderr, /newer than this Capstan/);
  t.notMatch(serve.stderr, /\n\s+at /, "a clear message, not a stack trace");
});

t.test("bad configuration is a clear failure naming the variable", async (t) => {
  const r = await runCli(["migrate", "--data-dir", t.testdir()], { env: { CAPSTAN_PORT: "eighty" } });
  t.equal(r.status, 1);
  t.match(r.stderr, /CAPSTAN_PORT/);
});
