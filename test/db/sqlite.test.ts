// The SQLite engine's transaction queue: async transactions never interleave on the one connection,
// statements outside a transaction never see (or write into) an open one, nested calls join.
import t from "tap";
import { openSqlite } from "../../src/db/sqlite.js";

const tick = () => new Promise((r) => setImmediate(r));

async function fresh() {
  const db = await openSqlite(":memory:");
  await db.exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`);
  return db;
}

t.test("two transactions started together run one after the other", async (t) => {
  const db = await fresh();
  const trace: string[] = [];
  const tx = (name: string) => db.transaction(async () => {
    trace.push(`${name} begin`);
    await db.run(`INSERT INTO kv (k, v) VALUES (?, 1)`, [name]);
    await tick(); // yield to the event loop mid-transaction: the other one must still wait
    trace.push(`${name} end`);
  });
  await Promise.all([tx("a"), tx("b")]);
  t.same(trace, ["a begin", "a end", "b begin", "b end"]);
  t.equal((await db.all(`SELECT k FROM kv`)).length, 2);
  await db.close();
});

t.test("a statement outside waits for the open transaction and never sees its uncommitted rows", async (t) => {
  const db = await fresh();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const tx = db.transaction(async () => {
    await db.run(`INSERT INTO kv (k, v) VALUES ('x', 1)`);
    await gate;
    throw new Error("rolled back");
  });
  await tick();
  const outside = db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM kv`);
  release();
  await t.rejects(tx, /rolled back/);
  t.equal((await outside)!.n, 0, "the read ran after the rollback, not inside the transaction");
  await db.close();
});

t.test("nested transaction() joins the open one; a throw rolls everything back", async (t) => {
  const db = await fresh();
  await t.rejects(db.transaction(async () => {
    await db.run(`INSERT INTO kv (k, v) VALUES ('outer', 1)`);
    await db.transaction(async () => {
      await db.run(`INSERT INTO kv (k, v) VALUES ('inner', 1)`);
    });
    throw new Error("boom");
  }), /boom/);
  t.equal((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM kv`))!.n, 0);
  await db.transaction(async () => {
    await db.transaction(async () => db.run(`INSERT INTO kv (k, v) VALUES ('joined', 1)`));
  });
  t.equal((await db.get<{ k: string }>(`SELECT k FROM kv`))!.k, "joined");
  await db.close();
});

t.test("outside any transaction statements run at once; booleans bind as 0/1; statements are cached", async (t) => {
  const db = await fresh();
  await db.run(`INSERT INTO kv (k, v) VALUES (?, ?)`, ["flag", true]);
  t.same(await db.get(`SELECT v FROM kv WHERE k = ?`, ["flag"]), { v: 1 });
  t.equal((await db.run(`UPDATE kv SET v = v + 1 WHERE k = ?`, ["flag"])).changes, 1);
  t.equal((await db.run(`UPDATE kv SET v = v + 1 WHERE k = ?`, ["none"])).changes, 0);
  await db.close();
});

t.test("on a file, a read outside a transaction neither waits for the open ones nor sees their rows; a write through get still takes its turn", async (t) => {
  const { mkdtempSync } = await import("node:fs");
  const { join } = await import("node:path");
  const db = await openSqlite(join(mkdtempSync(join(t.testdir(), "db-")), "capstan.db"));
  t.teardown(() => db.close());
  await db.exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const open = db.transaction(async () => {
    await db.run(`INSERT INTO kv (k, v) VALUES ('x', 1)`);
    await gate;
  });
  const queued = db.transaction(async () => { await db.run(`INSERT INTO kv (k, v) VALUES ('y', 2)`); });
  await tick();
  // answered while one transaction is open and another queued: a reader waiting for both could starve
  const seen = await Promise.race([db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM kv`), new Promise((r) => setTimeout(() => r("waited"), 500))]);
  t.same(seen, { n: 0 }, "committed state at once: the open transaction's row is not visible");
  const returning = db.get<{ k: string }>(`INSERT INTO kv (k, v) VALUES ('z', 3) RETURNING k`);
  await tick();
  t.equal(await Promise.race([returning.then(() => "written"), tick().then(() => "waiting")]), "waiting", "a write through get waits for its turn");
  release();
  await Promise.all([open, queued]);
  t.same(await returning, { k: "z" });
  t.same((await db.all<{ k: string }>(`SELECT k FROM kv ORDER BY k`)).map((r) => r.k), ["x", "y", "z"], "committed rows are seen at once");
});
