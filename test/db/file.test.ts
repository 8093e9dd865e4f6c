// Maintenance data: pruning the logs of long-finished commands, and the database facts diagnostics show.
// (The settings rows are left to their own module's tests.)
import t from "tap";
import { appendCommandLogs, listCommandLogs } from "../../src/db/commandLogs.js";
import { pruneCommandLogsBefore } from "../../src/db/commandLogs.js";
import { dbFacts, integrityCheck } from "../../src/db/file.js";
import { codeSchemaVersion, sqliteHandle } from "../../src/db/open.js";
import { appliedSchemaVersion, codeSchemaVersionOf, databaseFacts, databaseSize, liveIntegrityCheck, redactedUrl } from "../../src/db/facts.js";
import { sqliteOnly } from "../testDb.js";
import { addAgentService, addCommand, at, fileDb } from "./_seed.js";

const lines = (k: number) => Array.from({ length: k }, (_, i) => ({ at: at(i), level: "info", message: `line ${i}` }));
const BOUNDS = { maxLines: 100, maxBytes: 100_000 };

t.test("log pruning: only commands finished before the cutoff, oldest lines first, bounded", async (t) => {
  const db = await fileDb(t);
  const o = await addAgentService(db);
  const old = await addCommand(db, o);
  await appendCommandLogs(db, old, lines(5), BOUNDS);
  await db.run(`UPDATE commands SET status = 'SUCCEEDED', completed_at = ? WHERE id = ?`, [at(100), old]);
  const recent = await addCommand(db, o);
  await appendCommandLogs(db, recent, lines(3), BOUNDS);
  await db.run(`UPDATE commands SET status = 'FAILED', completed_at = ? WHERE id = ?`, [at(500), recent]);
  const running = await addCommand(db, o);
  await appendCommandLogs(db, running, lines(2), BOUNDS);

  t.equal(await pruneCommandLogsBefore(db, at(200), 3), 3, "bounded batch");
  t.same((await listCommandLogs(db, old, 0, 10)).map((l) => l.message), ["line 3", "line 4"], "the oldest went first");
  t.equal(await pruneCommandLogsBefore(db, at(200), 10), 2);
  t.equal(await pruneCommandLogsBefore(db, at(200), 10), 0, "nothing left before the cutoff");
  t.equal((await listCommandLogs(db, recent, 0, 10)).length, 3, "finished after the cutoff: kept");
  t.equal((await listCommandLogs(db, running, 0, 10)).length, 2, "not finished: kept");
  t.equal(await pruneCommandLogsBefore(db, at(500), 10), 0, "the cutoff is exclusive");
});

t.test("database facts and the integrity check", sqliteOnly("pragmas and pages of the SQLite file; engine facts on both engines are tested below"), async (t) => {
  const db = await fileDb(t);
  const f = dbFacts(sqliteHandle(db));
  t.equal(f.journalMode, "wal", "a file database runs in WAL mode");
  t.equal(f.userVersion, codeSchemaVersion(), "fully migrated");
  t.equal(f.pageSize, sqliteHandle(db).pragma("page_size", { simple: true }));
  t.equal(f.pageCount, sqliteHandle(db).pragma("page_count", { simple: true }));
  t.equal(f.freelistCount, 0, "a fresh database has no free pages");
  t.same(integrityCheck(sqliteHandle(db)), ["ok"]);
  // after deleting many rows the freed pages are counted
  await db.exec(`CREATE TABLE filler (x TEXT)`);
  const ins = sqliteHandle(db).prepare(`INSERT INTO filler VALUES (?)`);
  for (let i = 0; i < 200; i++) ins.run("x".repeat(2000));
  await db.exec(`DELETE FROM filler`);
  sqliteHandle(db).pragma("wal_checkpoint(TRUNCATE)");
  t.ok(dbFacts(sqliteHandle(db)).freelistCount > 50, `freed pages are counted (${dbFacts(sqliteHandle(db)).freelistCount})`);
});

t.test("engine facts (db/facts.ts) answer on the engine under test", async (t) => {
  const db = await fileDb(t);
  t.equal(await appliedSchemaVersion(db), codeSchemaVersionOf(db.kind), "fully migrated, by that engine's ladder");
  const f = await databaseFacts(db, "postgres://capstan:s3cret@db.example:5432/capstan");
  t.equal(f.kind, db.kind);
  t.equal(f.schemaVersion, codeSchemaVersionOf(db.kind));
  t.same(await liveIntegrityCheck(db), ["ok"]);
  const size = await databaseSize(db);
  t.ok(size.sizeBytes > 4096, `a migrated database has a size (${size.sizeBytes} bytes)`);
  if (db.kind === "postgres") t.notMatch(String(f.url), /s3cret/, "the URL's password never appears in the facts");
  t.equal(redactedUrl("postgres://capstan:s3cret@db.example:5432/capstan"), "postgres://capstan:***@db.example:5432/capstan");
});
