// Maintenance data: pruning the logs of long-finished commands, and the database facts diagnostics show.
// (The settings rows are left to their own module's tests.)
import t from "tap";
import { appendCommandLogs, listCommandLogs } from "../../src/db/commandLogs.js";
import { pruneCommandLogsBefore } from "../../src/db/commandLogs.js";
import { dbFacts, integrityCheck } from "../../src/db/file.js";
import { codeSchemaVersion } from "../../src/db/open.js";
import { addAgentService, addCommand, at, fileDb } from "./_seed.js";

const lines = (k: number) => Array.from({ length: k }, (_, i) => ({ at: at(i), level: "info", message: `line ${i}` }));
const BOUNDS = { maxLines: 100, maxBytes: 100_000 };

t.test("log pruning: only commands finished before the cutoff, oldest lines first, bounded", async (t) => {
  const db = fileDb(t);
  const o = addAgentService(db);
  const old = addCommand(db, o);
  appendCommandLogs(db, old, lines(5), BOUNDS);
  db.prepare(`UPDATE commands SET status = 'SUCCEEDED', completed_at = ? WHERE id = ?`).run(at(100), old);
  const recent = addCommand(db, o);
  appendCommandLogs(db, recent, lines(3), BOUNDS);
  db.prepare(`UPDATE commands SET status = 'FAILED', completed_at = ? WHERE id = ?`).run(at(500), recent);
  const running = addCommand(db, o);
  appendCommandLogs(db, running, lines(2), BOUNDS);

  t.equal(pruneCommandLogsBefore(db, at(200), 3), 3, "bounded batch");
  t.same(listCommandLogs(db, old, 0, 10).map((l) => l.message), ["line 3", "line 4"], "the oldest went first");
  t.equal(pruneCommandLogsBefore(db, at(200), 10), 2);
  t.equal(pruneCommandLogsBefore(db, at(200), 10), 0, "nothing left before the cutoff");
  t.equal(listCommandLogs(db, recent, 0, 10).length, 3, "finished after the cutoff: kept");
  t.equal(listCommandLogs(db, running, 0, 10).length, 2, "not finished: kept");
  t.equal(pruneCommandLogsBefore(db, at(500), 10), 0, "the cutoff is exclusive");
});

t.test("database facts and the integrity check", async (t) => {
  const db = fileDb(t);
  const f = dbFacts(db);
  t.equal(f.journalMode, "wal", "a file database runs in WAL mode");
  t.equal(f.userVersion, codeSchemaVersion(), "fully migrated");
  t.equal(f.pageSize, db.pragma("page_size", { simple: true }));
  t.equal(f.pageCount, db.pragma("page_count", { simple: true }));
  t.equal(f.freelistCount, 0, "a fresh database has no free pages");
  t.same(integrityCheck(db), ["ok"]);
  // after deleting many rows the freed pages are counted
  db.exec(`CREATE TABLE filler (x TEXT)`);
  const ins = db.prepare(`INSERT INTO filler VALUES (?)`);
  for (let i = 0; i < 200; i++) ins.run("x".repeat(2000));
  db.exec(`DELETE FROM filler`);
  db.pragma("wal_checkpoint(TRUNCATE)");
  t.ok(dbFacts(db).freelistCount > 50, `freed pages are counted (${dbFacts(db).freelistCount})`);
});
