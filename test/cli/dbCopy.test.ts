// capstan db copy: a SQLite database filled through the real server (users, sessions, tokens, agents,
// services, commands with logs, results and a retry, audit, bus routes and events) is copied into a
// real PostgreSQL database by the built CLI; every row must arrive unchanged, a second run must
// copy nothing, and anything that is not this version's Capstan database must be refused.
import t from "tap";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { codeSchemaVersion } from "../../src/db/open.js";
import { dependencyOrder, openCopySource, schemaTables } from "../../src/db/copySource.js";
import { openPostgres } from "../../src/db/postgres.js";
import { busKit, echoRoute } from "../bus/_kit.js";
import { emptyDatabase, freshDatabase } from "../pgKit.js";
import { dbPath } from "../helpers.js";
import { runCli } from "./_run.js";
import { onPostgres, sqliteOnly } from "../testDb.js";

// a real server fills the source and every case spawns the built CLI: more than tap's 120 s per file on a
// loaded 2-core machine
t.setTimeout(300_000);

/** Fills a SQLite database through the real server, closes the server, returns the file. */
async function filledDatabase(): Promise<string> {
  const k = await busKit(t);
  const route = await k.createRoute(echoRoute(k));
  if (route.status !== 200) throw new Error(route.text);
  await k.createRoute({ ...echoRoute(k), name: "dry", status: "DRY_RUN" });
  for (const name of ["Blue mug", "Red cup", "Green jar"]) {
    await k.publish({ eventType: "shop.item.created", data: { id: name, name }, metadata: { correlationId: name } });
  }
  await k.publish({ eventType: "nobody.listens", data: [1, 2.5, "x"] });
  const base = `/api/agents/${k.target.agentId}/commands`;
  const polled = (await k.target.agent.get(base)).body.data as { id: string }[];
  // logs in several reports (command_logs ids are the identity column on PostgreSQL), a result, a failure
  const must = async (res: Promise<{ status: number; text: string }>) => {
    const r = await res;
    if (r.status !== 200) throw new Error(`fixture step failed: ${r.status} ${r.text}`);
  };
  await must(k.target.agent.post(`${base}/${polled[0]!.id}/progress`, { percent: 0.125, message: "half", logs: [{ level: "info", message: "one" }, { level: "warn", message: "two ünïcode ✓" }] }));
  await must(k.target.agent.post(`${base}/${polled[0]!.id}/progress`, { logs: [{ level: "error", message: "three" }] }));
  await must(k.target.agent.post(`${base}/${polled[0]!.id}/result`, { success: true, message: "done", data: { n: 1, nested: { ok: true } } }));
  await must(k.target.agent.post(`${base}/${polled[1]!.id}/result`, { success: false, message: "broke", error: { code: "E_X", message: "no" } }));
  await must(k.operator.post(`/api/admin/commands/${polled[1]!.id}/retry`, {})); // commands.retry_of -> commands
  await must(k.operator.post(`/api/admin/capsule-services/${k.target.serviceId}/actions/restart`, { confirmation: true }));
  await must(k.operator.post("/api/admin/api-tokens", { name: "ci" }));
  await must(k.operator.post("/api/admin/registration-tokens", { name: "spare", maxUses: 3, expiresInSeconds: 3600 }));
  await k.s.loginAs("owner");
  await k.s.close(); // flushes coalesced contacts; the file is now what an operator would copy
  return dbPath(k.s);
}

// The source of a copy is always a SQLite file and the target a real PostgreSQL (pgKit) in the SQLite run
// too, so the PostgreSQL run has nothing to add: it skips instead of filling a server it cannot copy from.
const SOURCE_IS_SQLITE = sqliteOnly("db copy reads a SQLite file; the SQLite run already copies it into a real PostgreSQL");
const file = onPostgres ? "" : await filledDatabase();
const sqliteRows = (table: string, cols: string[], pk: string[]) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT ${cols.map((c) => `"${c}"`).join(", ")} FROM "${table}" ORDER BY ${pk.map((c) => `"${c}"`).join(", ")}`).all();
  } finally {
    db.close();
  }
};
const tables = onPostgres ? [] : (() => {
  const source = openCopySource(file);
  try {
    return source.tables.map((tb) => ({ ...tb }));
  } finally {
    source.db.close();
  }
})();

/** `table copied sqlite postgres ok` lines of the command's output -> {table: [copied, sqlite, postgres]} */
const countsOf = (stdout: string): Record<string, number[]> =>
  Object.fromEntries(stdout.trim().split("\n").slice(1).map((l) => l.trim().split(/\s+/)).map(([tb, ...n]) => [tb, n.slice(0, 3).map(Number)]));

t.test("the copy order covers every table of schema.sql + migrations, parents first", SOURCE_IS_SQLITE, async (t) => {
  t.same(tables.map((tb) => tb.name).sort(), schemaTables(), "every Capstan table, nothing else");
  const db = new Database(file, { readonly: true });
  t.teardown(() => db.close());
  const pos = new Map(tables.map((tb, i) => [tb.name, i]));
  let edges = 0;
  for (const tb of tables) {
    for (const { table: parent } of db.prepare(`SELECT "table" FROM pragma_foreign_key_list(?)`).all(tb.name) as { table: string }[]) {
      if (parent === tb.name) continue;
      edges++;
      t.ok(pos.get(parent)! < pos.get(tb.name)!, `${parent} before ${tb.name}`);
    }
  }
  t.ok(edges >= 15, `checked the schema's foreign keys (${edges})`);
  t.throws(() => dependencyOrder(new Map([["a", ["b"]], ["b", ["a"]]])), /cycle among a, b/);
  t.same(dependencyOrder(new Map([["c", ["c", "a"]], ["b", []], ["a", ["b"]]])), ["b", "a", "c"], "self references ignored");
});

t.test("copies every row unchanged into an empty PostgreSQL database; a second run is a no-op", SOURCE_IS_SQLITE, async (t) => {
  const { url } = await emptyDatabase(t);
  const first = await runCli(["db", "copy", "--from", `sqlite:${file}`, "--to", url, "--batch-size", "2"]);
  t.equal(first.status, 0, first.stderr);
  const counts = countsOf(first.stdout);
  t.same(Object.keys(counts), tables.map((tb) => tb.name), "one line per table, in copy order");
  const pg = await openPostgres(url, { poolSize: 2 });
  t.teardown(() => pg.close());
  let total = 0;
  for (const tb of tables) {
    const want = sqliteRows(tb.name, tb.columns, tb.primaryKey);
    const got = await pg.all(`SELECT ${tb.columns.map((c) => `"${c}"`).join(", ")} FROM "${tb.name}" ORDER BY ${tb.primaryKey.map((c) => `"${c}"`).join(", ")}`);
    t.same(got, want, `${tb.name}: every row, field by field`);
    t.same(counts[tb.name], [want.length, want.length, want.length], `${tb.name}: copied = sqlite = postgres`);
    total += want.length;
  }
  for (const busy of ["agents", "capsule_services", "commands", "command_logs", "command_results", "audit_events", "users", "sessions", "api_tokens", "registration_tokens", "agent_tokens", "bus_routes", "bus_events", "action_definitions"]) {
    t.ok(counts[busy]![1]! > 0, `the fixture has ${busy} rows to copy`);
  }
  t.match(first.stderr, new RegExp(`${total} rows copied .* counts verified for ${tables.length} tables`));

  // spot checks of the types that could drift: text with non-ASCII, reals, JSON text, the self reference
  const log = await pg.get<{ message: string; level: string }>("SELECT message, level FROM command_logs WHERE message LIKE 'two%'");
  t.same(log, { message: "two ünïcode ✓", level: "warn" });
  const progressed = await pg.get<{ progress_percent: number; log_count: number }>("SELECT progress_percent, log_count FROM commands WHERE log_count > 0");
  t.equal(progressed!.log_count, 3);
  t.ok(progressed!.progress_percent > 0 && !Number.isInteger(progressed!.progress_percent), `a fractional real survives (${progressed!.progress_percent})`);
  const result = await pg.get<{ data_json: string; success: number }>("SELECT data_json, success FROM command_results WHERE success = 1");
  t.same(JSON.parse(result!.data_json), { n: 1, nested: { ok: true } });
  const retried = await pg.get<{ n: number }>("SELECT COUNT(*) AS n FROM commands c JOIN commands o ON o.id = c.retry_of WHERE o.status = 'FAILED'");
  t.equal(retried!.n, 1, "the retry still points at its failed original");

  // the identity sequence continues after the copied ids instead of colliding with them
  const maxId = (await pg.get<{ m: number }>("SELECT MAX(id) AS m FROM command_logs"))!.m;
  const cmd = (await pg.get<{ id: string }>("SELECT id FROM commands LIMIT 1"))!.id;
  const added = await pg.get<{ id: number }>("INSERT INTO command_logs (command_id, at, level, message) VALUES (?, ?, 'info', 'new') RETURNING id", [cmd, new Date().toISOString()]);
  t.equal(added!.id, maxId + 1);
  await pg.run("DELETE FROM command_logs WHERE id = ?", [added!.id]);

  const second = await runCli(["db", "copy", "--from", `sqlite:${file}`, "--to", url]);
  t.equal(second.status, 0, second.stderr);
  const again = countsOf(second.stdout);
  for (const tb of tables) t.same(again[tb.name], [0, counts[tb.name]![1], counts[tb.name]![2]], `${tb.name}: nothing copied twice, same counts`);
  t.match(second.stderr, /^0 rows copied/);
});

t.test("a migrated target with extra rows still verifies; a clashing unique value fails the copy", SOURCE_IS_SQLITE, async (t) => {
  const { url } = await freshDatabase(t);
  const pg = await openPostgres(url, { poolSize: 2 });
  t.teardown(() => pg.close());
  const now = new Date().toISOString();
  await pg.run("INSERT INTO settings (key, value, updated_at) VALUES ('only.in.pg', 'x', ?)", [now]);
  const ok = await runCli(["db", "copy", "--from", `sqlite:${file}`, "--to", url]);
  t.equal(ok.status, 0, ok.stderr);
  const settings = countsOf(ok.stdout).settings!;
  t.equal(settings[2], settings[1]! + 1, "postgres holds one more settings row than sqlite");

  const { url: clashUrl } = await freshDatabase(t);
  const clash = await openPostgres(clashUrl, { poolSize: 2 });
  t.teardown(() => clash.close());
  await clash.run("INSERT INTO users (id, username, role, password_hash, created_at, updated_at) VALUES ('usr_other', 'owner-user', 'viewer', 'x', ?, ?)", [now, now]);
  const failed = await runCli(["db", "copy", "--from", `sqlite:${file}`, "--to", clashUrl]);
  t.equal(failed.status, 1);
  t.match(failed.stderr, /copy failed.*duplicate key.*table users/);
  t.equal((await clash.get<{ n: number }>("SELECT COUNT(*) AS n FROM users"))!.n, 1, "the failing table's transaction rolled back");
});

t.test("a target whose table lacks a column is a clear error, not silent loss", SOURCE_IS_SQLITE, async (t) => {
  const { url } = await freshDatabase(t);
  const pg = await openPostgres(url, { poolSize: 2 });
  t.teardown(() => pg.close());
  await pg.exec("ALTER TABLE bus_events DROP COLUMN metadata_json");
  const r = await runCli(["db", "copy", "--from", `sqlite:${file}`, "--to", url]);
  t.equal(r.status, 1);
  t.match(r.stderr, "table bus_events differs between the engines; only in SQLite: metadata_json");
});

t.test("refuses what is not this version's Capstan database, with exit 2", SOURCE_IS_SQLITE, async (t) => {
  const dir = t.testdir();
  const { url } = await emptyDatabase(t);
  const other = join(dir, "other.db");
  const o = new Database(other);
  o.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
  o.close();
  const notSqlite = join(dir, "notes.txt");
  writeFileSync(notSqlite, "just some text, long enough to not be an empty database file ".repeat(20));
  const older = join(dir, "older.db");
  copyFileSync(file, older);
  const ol = new Database(older);
  ol.pragma(`user_version = ${codeSchemaVersion() - 1}`);
  ol.close();
  const cases: [string, RegExp][] = [
    [other, /other\.db is not a Capstan database \(no Capstan schema in it\)/],
    [notSqlite, /notes\.txt is not a Capstan database: file is not a database/],
    [older, new RegExp(`schema version ${codeSchemaVersion() - 1}, this Capstan has ${codeSchemaVersion()}: upgrade it first with \`capstan migrate`)],
    [join(dir, "missing.db"), /cannot open .*missing\.db/],
  ];
  for (const [path, message] of cases) {
    const r = await runCli(["db", "copy", "--from", `sqlite:${path}`, "--to", url]);
    t.equal(r.status, 2, path);
    t.match(r.stderr, message);
    t.equal(r.stdout, "");
  }
  const pg = await openPostgres(url, { poolSize: 1 });
  t.teardown(() => pg.close());
  t.equal((await pg.get<{ t: string | null }>("SELECT to_regclass('schema_version')::text AS t"))!.t, null, "the target was not touched");
  t.same(await new Promise((r) => { const db = new Database(older); r(db.pragma("user_version", { simple: true })); db.close(); }), codeSchemaVersion() - 1, "the source was not migrated");
});

t.test("usage: missing or malformed arguments exit 2; --help describes the command", SOURCE_IS_SQLITE, async (t) => {
  for (const args of [["db"], ["db", "move"], ["db", "copy", "--to", "postgres://x/y"], ["db", "copy", "--from", file, "--to", "postgres://x/y"],
    ["db", "copy", "--from", `sqlite:${file}`, "--to", "mysql://x/y"], ["db", "copy", "--from", `sqlite:${file}`, "--to", "postgres://x/y", "--batch-size", "0"]]) {
    const r = await runCli(args);
    t.equal(r.status, 2, args.join(" "));
  }
  const help = await runCli(["db", "copy", "--help"]);
  t.equal(help.status, 0);
  t.match(help.stdout, /usage: capstan db copy --from sqlite:FILE --to postgres:\/\//);
  t.match((await runCli(["--help"])).stdout, /\n {2}db +database tools/);
  const down = await runCli(["db", "copy", "--from", `sqlite:${file}`, "--to", "postgres://capstan:s3cret@127.0.0.1:1/nowhere"]);
  t.equal(down.status, 1);
  t.match(down.stderr, /cannot connect to postgres:\/\/capstan:\*\*\*@127\.0\.0\.1:1\/nowhere/);
  t.notMatch(down.stderr, "s3cret", "the password never reaches the output");
});
