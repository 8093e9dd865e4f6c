// Session advisory locks (src/db/pgLock.ts) are shared by several singletons on one dedicated
// connection (the maintenance sweep, the Telegram poller). Their calls may overlap; each must still
// get its own answer, and the connection must see one query at a time (pg deprecates overlapping
// queries on one client and refuses them from pg 9).
import t from "tap";
import { LockSession } from "../../../src/db/pgLock.js";
import { freshEngine } from "../../pgKit.js";

t.test("overlapping tryLock/unlock calls on one session are answered one at a time", async (t) => {
  const db = await freshEngine(t);
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on("warning", onWarning);
  t.teardown(() => process.off("warning", onWarning));
  const a = new LockSession({ connectionString: db.url }, () => {});
  const b = new LockSession({ connectionString: db.url }, () => {});
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const keys = ["capstan.maintenance", "capstan.telegram", 42, "x", "y", "z"];
  t.same(await Promise.all(keys.map((k) => a.tryLock(k))), keys.map(() => true), "every key taken by the first session at once");
  t.same(await Promise.all([...keys, ...keys].map((k) => a.tryLock(k))), [...keys, ...keys].map(() => true), "held keys re-checked concurrently");
  t.same(await Promise.all(keys.map((k) => b.tryLock(k))), keys.map(() => false), "another session gets none of them");
  await Promise.all(keys.map((k) => a.unlock(k)));
  t.same(await Promise.all(keys.map((k) => b.tryLock(k))), keys.map(() => true), "released together, all free");
  await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  t.same(warnings.filter((m) => m.includes("already executing a query")), [], "never two queries at once on the session's connection");
});
