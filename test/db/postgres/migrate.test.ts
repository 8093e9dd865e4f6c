// The PostgreSQL migration ladder: same versions as SQLite's, idempotent, safe for nodes starting at once.
import t from "tap";
import { codeSchemaVersion, DatabaseTooNewError, migrationFiles, openDb, sqliteHandle } from "../../../src/db/open.js";
import { migratePostgres, postgresCodeSchemaVersion, postgresMigrationFiles, postgresSchemaVersion } from "../../../src/db/pgMigrate.js";
import { openPostgres } from "../../../src/db/postgres.js";
import { emptyDatabase, freshDatabase } from "../../pgKit.js";

async function emptyEngine(t: Tap) {
  const { url } = await emptyDatabase(t);
  const db = await openPostgres(url, { poolSize: 4 });
  t.teardown(() => db.close());
  return db;
}
type Tap = Parameters<typeof emptyDatabase>[0];

const tablesOf = async (db: Awaited<ReturnType<typeof emptyEngine>>) =>
  (await db.all<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")).map((r) => r.t);

t.test("the ladder mirrors SQLite's: same versions, same final version", async (t) => {
  t.same(postgresMigrationFiles().map((m) => m.version), [1, ...migrationFiles().map((m) => m.version)]);
  t.equal(postgresCodeSchemaVersion(), codeSchemaVersion());
});

t.test("applies every step on an empty database, then is a no-op", async (t) => {
  const db = await emptyEngine(t);
  t.equal(await postgresSchemaVersion(db), 0);
  t.same(await migratePostgres(db), { from: 0, to: codeSchemaVersion() });
  const tables = await tablesOf(db);
  for (const name of ["agents", "commands", "command_logs", "audit_events", "bus_routes", "bus_events", "schema_version", "settings"]) {
    t.ok(tables.includes(name), `table ${name}`);
  }
  const idx = (await db.all<{ i: string }>("SELECT indexname AS i FROM pg_indexes WHERE schemaname = 'public'")).map((r) => r.i);
  t.ok(idx.includes("commands_status_type"), "003 created commands_status_type");
  t.notOk(idx.includes("agents_heartbeat"), "003 dropped agents_heartbeat");
  t.same(await migratePostgres(db), { from: codeSchemaVersion(), to: codeSchemaVersion() });
  t.same((await db.all<{ version: number }>("SELECT version FROM schema_version ORDER BY version")).map((r) => r.version),
    postgresMigrationFiles().map((m) => m.version));
});

t.test("two nodes migrating the same empty database at once do not conflict", async (t) => {
  const a = await emptyEngine(t);
  const { url } = await emptyDatabase(t);
  const b1 = await openPostgres(url, { poolSize: 2 });
  const b2 = await openPostgres(url, { poolSize: 2 });
  t.teardown(async () => { await b1.close(); await b2.close(); });
  const results = await Promise.all([migratePostgres(b1), migratePostgres(b2), migratePostgres(b1)]);
  for (const r of results) t.equal(r.to, codeSchemaVersion());
  t.same((await b2.all<{ n: number }>("SELECT COUNT(*) AS n FROM schema_version"))[0], { n: postgresMigrationFiles().length });
  t.ok(a); // unrelated database untouched by the race
  t.same(await tablesOf(a), []);
});

t.test("a database newer than the code is refused, and left as it was", async (t) => {
  const db = await emptyEngine(t);
  await migratePostgres(db);
  const next = codeSchemaVersion() + 1;
  await db.run("INSERT INTO schema_version (version, file, applied_at) VALUES (?, ?, ?)", [next, `${next}-future.sql`, "x"]);
  const err = await migratePostgres(db).then(() => null, (e: unknown) => e);
  t.ok(err instanceof DatabaseTooNewError, "DatabaseTooNewError, as on SQLite");
  t.match((err as Error).message, `database schema version ${next} is newer than this Capstan (knows ${next - 1})`);
  t.equal(await postgresSchemaVersion(db), next);
});

t.test("a failing step rolls back alone: earlier steps stay, the version does not move", async (t) => {
  const db = await emptyEngine(t);
  // occupy a name migration 002 creates, so it fails half-way
  await db.exec("CREATE TABLE bus_events (x INTEGER)");
  await t.rejects(migratePostgres(db), { code: "42P07" });
  t.equal(await postgresSchemaVersion(db), 1);
  t.notOk((await tablesOf(db)).includes("bus_routes"), "002's earlier statements were rolled back");
});

t.test("the PostgreSQL schema has the SQLite schema's tables, columns (in order, nullability) and named indexes", async (t) => {
  const { url } = await freshDatabase(t);
  const db = await openPostgres(url, { poolSize: 2 });
  t.teardown(() => db.close());
  const lite = await openDb(":memory:");
  // plain tables only: the FTS5 audit search index (virtual + shadow tables) is SQLite's side of migration 010,
  // and its late-event list (rowids) of 017
  const liteTables = (await lite.all<{ name: string }>("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'audit_search_late' ORDER BY name")).map((r) => r.name);
  t.same(await tablesOf(db), [...liteTables, "schema_version"].sort());
  for (const table of liteTables) {
    const liteCols = (sqliteHandle(lite).pragma(`table_info(${table})`) as { name: string; notnull: number; pk: number }[])
      .map((c) => `${c.name}${c.notnull || c.pk ? " NOT NULL" : ""}`);
    const pgCols = (await db.all<{ c: string }>(`SELECT column_name || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END AS c
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position`, [table])).map((r) => r.c);
    t.same(pgCols, liteCols, `columns of ${table}`);
  }
  const liteIdx = (await lite.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"))
    .map((r) => r.name);
  const pgIdx = (await db.all<{ i: string }>(`SELECT indexname AS i FROM pg_indexes WHERE schemaname = 'public'
    AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key' ORDER BY 1`)).map((r) => r.i);
  // ...and PostgreSQL's side of it: one pg_trgm index over the searched columns (017; one per column in 010)
  // and the BRIN on created_at that bounds its matches by time (018; SQLite's 018 is empty)
  const pgSearch = ["audit_created_brin", "audit_search"];
  t.same(pgIdx.filter((i) => !pgSearch.includes(i)), liteIdx);
  t.same(pgIdx.filter((i) => pgSearch.includes(i)), pgSearch);
  await lite.close();
});
