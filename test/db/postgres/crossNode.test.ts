// The cross-node helpers: NOTIFY/LISTEN (with reconnect) and advisory locks, between two engines
// on one database as two nodes would be.
import t from "tap";
import { openPostgres } from "../../../src/db/postgres.js";
import { freshEngine } from "../../pgKit.js";

/** Resolves with the first payload, or "timeout". */
const next = (ms: number) => {
  let push!: (p: string) => void;
  const got = new Promise<string>((r) => { push = r; });
  return { push, wait: () => Promise.race([got, new Promise<string>((r) => setTimeout(() => r("timeout"), ms))]) };
};

t.test("notify on one node reaches a listener on another; inside a transaction only at commit", async (t) => {
  const a = await freshEngine(t);
  const b = await openPostgres(a.url, { poolSize: 2 });
  t.teardown(() => b.close());
  const got: string[] = [];
  let signal = next(2000);
  const stop = await b.listen("capstan_wake", (p) => { got.push(p); signal.push(p); });
  await a.notify("capstan_wake", "agt_1");
  t.equal(await signal.wait(), "agt_1");

  signal = next(300);
  await t.rejects(a.transaction(async () => {
    await a.notify("capstan_wake", "rolled-back");
    throw new Error("rollback");
  }));
  t.equal(await signal.wait(), "timeout", "a rolled-back transaction notifies nobody");

  signal = next(2000);
  let seenBeforeCommit = "";
  await a.transaction(async () => {
    await a.notify("capstan_wake", "committed");
    await new Promise((r) => setTimeout(r, 200)); // nothing may arrive while the transaction is open
    seenBeforeCommit = got.includes("committed") ? "early" : "not yet";
  });
  t.equal(seenBeforeCommit, "not yet");
  t.equal(await signal.wait(), "committed");

  await stop();
  signal = next(300);
  await a.notify("capstan_wake", "after-stop");
  t.equal(await signal.wait(), "timeout", "unsubscribed");
  t.same(got, ["agt_1", "committed"]);
});

t.test("the listener reconnects after its connection is killed, re-listens and reports it", async (t) => {
  const a = await freshEngine(t);
  const b = await openPostgres(a.url, { poolSize: 2, applicationName: "capstan-node-b" });
  t.teardown(() => b.close());
  let signal = next(5000);
  let reconnected!: () => void;
  const reconnect = new Promise<void>((r) => { reconnected = r; });
  await b.listen("capstan_wake", (p) => signal.push(p), () => reconnected());
  // kill node B's LISTEN connection from node A (as a failover or network cut would)
  const killed = await a.all<{ ok: boolean }>(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = 'capstan-node-b' AND query LIKE 'LISTEN%'`);
  t.equal(killed.length, 1, "found the listening connection");
  await Promise.race([reconnect, new Promise((_, rej) => setTimeout(() => rej(new Error("no reconnect within 5 s")), 5000))]);
  await a.notify("capstan_wake", "after-reconnect");
  t.equal(await signal.wait(), "after-reconnect");
});

t.test("an advisory lock is held by one node at a time and passes on when the holder goes", async (t) => {
  const a = await freshEngine(t);
  const b = await openPostgres(a.url, { poolSize: 2 });
  let bClosed = false;
  t.teardown(() => (bClosed ? undefined : b.close()));
  t.equal(await b.tryAdvisoryLock("maintenance"), true, "B takes it");
  t.equal(await b.tryAdvisoryLock("maintenance"), true, "B still holds it (asking again does not stack)");
  t.equal(await a.tryAdvisoryLock("maintenance"), false, "A cannot while B holds it");
  t.equal(await a.tryAdvisoryLock(42), true, "another key is independent");
  t.equal(await b.tryAdvisoryLock(42), false);
  await b.releaseAdvisoryLock("maintenance");
  t.equal(await a.tryAdvisoryLock("maintenance"), true, "A takes it after B released it");
  t.equal(await b.tryAdvisoryLock("maintenance"), false);
  await a.releaseAdvisoryLock("maintenance");
  t.equal(await b.tryAdvisoryLock("maintenance"), true, "one release frees it (no stacked holds left)");
  // the holder dies: its session ends and the lock is free for the other node
  await b.close();
  bClosed = true;
  t.equal(await a.tryAdvisoryLock("maintenance"), true, "A takes over when B is gone");
});

t.test("a holder whose lock session was killed no longer claims the lock", async (t) => {
  const a = await freshEngine(t);
  const b = await openPostgres(a.url, { poolSize: 2, applicationName: "capstan-node-b" });
  t.teardown(() => b.close());
  t.equal(await b.tryAdvisoryLock(7), true);
  await a.all(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = 'capstan-node-b' AND query LIKE '%advisory_lock%'`);
  t.equal(await a.tryAdvisoryLock(7), true, "the server freed it with the session");
  const bAgain = await b.tryAdvisoryLock(7).catch(() => false);
  t.equal(bAgain, false, "B does not believe it still holds it");
  t.equal(await b.tryAdvisoryLock(7), false, "B's new session asks the server, which says A holds it");
});
