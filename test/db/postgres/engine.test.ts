// The PostgreSQL engine: types, transactions routed through AsyncLocalStorage, retries.
import t from "tap";
import { openPostgres } from "../../../src/db/postgres.js";
import { cuttableRelay, freshDatabase, freshEngine } from "../../pgKit.js";

const SETTING = "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 'x')";
const count = async (db: { get: <T>(s: string, p?: string[]) => Promise<T | undefined> }, key: string) =>
  (await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM settings WHERE key = ?", [key]))!.n;

t.test("int8, numeric and BIGINT columns come back as numbers; booleans bind as 0/1", async (t) => {
  const db = await freshEngine(t);
  const r = await db.get<Record<string, unknown>>("SELECT COUNT(*) AS c, SUM(x) AS s, 5000000000::bigint AS big, 1.5::float8 AS f FROM (VALUES (1), (2)) v(x)");
  t.same(r, { c: 2, s: 3, big: 5_000_000_000, f: 1.5 });
  t.equal(typeof r!.c, "number");
  await db.run(`INSERT INTO bus_routes (id, name, event_type, target_service_code, action_name, confirmed, created_at, updated_at)
                VALUES (?, 'r', 'e', 's', 'a', ?, 'x', 'x')`, ["brr_1", true]);
  t.same(await db.get("SELECT confirmed FROM bus_routes WHERE id = ?", ["brr_1"]), { confirmed: 1 });
  t.same(await db.run("UPDATE bus_routes SET confirmed = ? WHERE id = ?", [false, "brr_1"]), { changes: 1 });
  t.same(await db.run("UPDATE bus_routes SET confirmed = 0 WHERE id = ?", ["missing"]), { changes: 0 });
  t.equal(await db.get("SELECT 1 AS x WHERE false"), undefined);
});

t.test("the global pg type parsers are left alone", async (t) => {
  const pg = (await import("pg")).default;
  t.equal(pg.types.getTypeParser(20, "text")("5"), "5"); // pg's default for int8 is a string
});

t.test("commit and rollback", async (t) => {
  const db = await freshEngine(t);
  const v = await db.transaction(async () => {
    await db.run(SETTING, ["a", "1"]);
    return 7;
  });
  t.equal(v, 7);
  t.equal(await count(db, "a"), 1);
  await t.rejects(db.transaction(async () => {
    await db.run(SETTING, ["b", "1"]);
    throw new Error("boom");
  }), { message: "boom" });
  t.equal(await count(db, "b"), 0);
  // a failing statement rolls back the statements before it
  await t.rejects(db.transaction(async () => {
    await db.run(SETTING, ["c", "1"]);
    await db.run(SETTING, ["a", "dup"]);
  }), { code: "23505" });
  t.equal(await count(db, "c"), 0);
  // a failed statement whose error fn swallows still aborts the transaction: never reported as committed
  await t.rejects(db.transaction(async () => {
    await db.run(SETTING, ["d", "1"]);
    await db.run(SETTING, ["a", "dup"]).catch(() => {});
  }), { code: "25P02", name: "Error" });
  t.equal(await count(db, "d"), 0);
});

t.test("calls inside transaction(fn) use its client: uncommitted rows are seen inside, not outside", async (t) => {
  const db = await freshEngine(t);
  let inside = -1;
  let nested = -1;
  let written!: () => void;
  let outsideDone!: Promise<number>;
  const wrote = new Promise<void>((r) => { written = r; });
  // started from the test's own context (no transaction): runs on the pool while the transaction is open
  outsideDone = wrote.then(() => count(db, "u"));
  await db.transaction(async () => {
    await db.run(SETTING, ["u", "1"]);
    inside = await count(db, "u");
    written();
    t.equal(await outsideDone, 0, "a call outside the transaction does not see its uncommitted row");
    // nested transaction() joins: its write is part of this one
    await db.transaction(async () => { await db.run(SETTING, ["v", "1"]); });
    nested = await count(db, "v");
  });
  t.equal(inside, 1);
  t.equal(nested, 1);
  t.equal(await count(db, "v"), 1);
  // a nested failure aborts the whole transaction
  await t.rejects(db.transaction(async () => {
    await db.run(SETTING, ["w", "1"]);
    await db.transaction(async () => { throw new Error("inner"); });
  }));
  t.equal(await count(db, "w"), 0);
});

t.test("a callback that outlives its transaction runs on the pool, not inside whoever got the client next", async (t) => {
  const db = await freshEngine(t, { poolSize: 1 });
  let stray: Promise<number> | undefined;
  await db.transaction(async () => {
    // inherits the transaction's async context, but fires after it committed
    stray = new Promise((resolve, reject) => setTimeout(() => { count(db, "y").then(resolve, reject); }, 50));
  });
  // the one pooled client now serves another transaction, which writes and then rolls back
  await t.rejects(db.transaction(async () => {
    await db.run(SETTING, ["y", "1"]);
    await new Promise((r) => setTimeout(r, 150));
    throw new Error("rollback");
  }));
  t.equal(await stray, 0, "the stray call never saw the other transaction's uncommitted row");
});

t.test("serialization failures (40001) are retried a bounded number of times", async (t) => {
  const db = await freshEngine(t, { maxAttempts: 3 });
  let calls = 0;
  const v = await db.transaction(async () => {
    calls++;
    await db.run(SETTING, [`k${calls}`, "1"]);
    if (calls === 1) throw Object.assign(new Error("fake"), { code: "40001" });
    return "done";
  });
  t.equal(v, "done");
  t.equal(calls, 2);
  t.equal(await count(db, "k1"), 0, "the failed attempt was rolled back");
  t.equal(await count(db, "k2"), 1);

  calls = 0;
  await t.rejects(db.transaction(async () => { calls++; throw Object.assign(new Error("deadlock"), { code: "40P01" }); }), { code: "40P01" });
  t.equal(calls, 3, "gives up after maxAttempts");

  calls = 0;
  await t.rejects(db.transaction(async () => { calls++; throw Object.assign(new Error("other"), { code: "23505" }); }));
  t.equal(calls, 1, "other errors are not retried");
});

t.test("two real SERIALIZABLE transactions in conflict: the loser is retried and both commit", async (t) => {
  const db = await freshEngine(t, { isolation: "serializable", poolSize: 4 });
  await db.run(SETTING, ["total", "0"]);
  let attempts = 0;
  let bothRead!: () => void;
  const gate = new Promise<void>((r) => { bothRead = r; });
  let readers = 0;
  // read-modify-write of one row from two transactions that both read before either writes
  const bump = () => db.transaction(async () => {
    attempts++;
    const cur = Number((await db.get<{ value: string }>("SELECT value FROM settings WHERE key = 'total'"))!.value);
    if (++readers === 2) bothRead();
    await Promise.race([gate, new Promise((r) => setTimeout(r, 200))]);
    await db.run("UPDATE settings SET value = ? WHERE key = 'total'", [String(cur + 1)]);
  });
  await Promise.all([bump(), bump()]);
  t.ok(attempts >= 3, `one transaction was retried (attempts: ${attempts})`);
  t.same(await db.get("SELECT value FROM settings WHERE key = 'total'"), { value: "2" }, "no lost update");
});

t.test("exec runs several statements; a bad URL fails at open", async (t) => {
  const db = await freshEngine(t);
  await db.exec("CREATE TABLE t1 (a INTEGER); INSERT INTO t1 VALUES (1); INSERT INTO t1 VALUES (2);");
  t.same(await db.get("SELECT SUM(a) AS s FROM t1"), { s: 3 });
  const bad = new URL(db.url);
  bad.pathname = "/no_such_database";
  await t.rejects(openPostgres(bad.toString()), { code: "3D000" });
});

t.test("a connection lost inside a transaction rejects it as a connection failure and never crashes the process", async (t) => {
  // pg-pool stops listening for a client's 'error' while it is checked out; a connection that drops
  // then emits 'error' with no listener, an uncaught exception that would end the node (tap fails
  // this test on it). The transaction must reject instead, and the pool serve again afterwards.
  const { url } = await freshDatabase(t);
  const relay = cuttableRelay(new URL(url));
  await relay.open();
  const via = new URL(url);
  via.port = String(relay.port);
  const db = await openPostgres(via.toString(), { poolSize: 2 });
  t.teardown(async () => { await relay.cut(); await db.close().catch(() => {}); });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const between = db.transaction(async () => {
    await db.get("SELECT 1");
    await relay.cut(); // no statement running: the client is idle, checked out
    await sleep(300);
    return db.get("SELECT 1");
  });
  await t.rejects(between, { code: "DATABASE_CONNECTION" }, "lost between statements: rejected as a connection failure");

  await relay.open();
  const during = db.transaction(async () => {
    const slow = db.get("SELECT pg_sleep(2)");
    await sleep(200);
    await relay.cut(); // mid-statement
    return slow;
  });
  await t.rejects(during, { code: "DATABASE_CONNECTION" }, "lost during a statement: rejected as a connection failure");

  await relay.open();
  t.same(await db.transaction(() => db.get("SELECT 1 AS x")), { x: 1 }, "the pool serves transactions again");
});
