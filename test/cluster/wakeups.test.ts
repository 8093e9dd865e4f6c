// Cross-node wake-ups between two in-process nodes on one PostgreSQL database: a poll parked on node
// B wakes when node A creates a command (NOTIFY), a lost notification is made good by the re-check
// timer, a listener reconnect wakes every wait, a node's own NOTIFY is counted and ignored, and
// heartbeats notify nothing. SQLite has one process per file: nothing crosses nodes there.
import t from "tap";
import { kit } from "../commandKit.js";
import { startTestServer, type Tap } from "../helpers.js";
import { onPostgres } from "../testDb.js";
import { RECHECK_MS } from "../../src/domain/wakeups.js";

// the file as a whole, not only its subtests: real server processes on a loaded 2-core machine can take
// longer than tap's 120 s per-file limit
t.setTimeout(240_000);

const pgOnly = onPostgres ? {} : { skip: "PostgreSQL only: on SQLite one process owns the database, so there is no other node to wake" };

async function twoNodes(t: Tap) {
  const k = await kit(t);
  const b = await startTestServer(t, { env: { CAPSTAN_DATABASE_URL: k.s.config.databaseUrl! } });
  const pollB = (wait: number) =>
    fetch(`${b.url}/api/agents/${k.agentId}/commands?waitSeconds=${wait}`, { headers: { authorization: `Bearer ${k.agent.token}` } })
      .then(async (r) => ({ status: r.status, ids: ((await r.json()) as { data: { id: string }[] }).data.map((c) => c.id), at: performance.now() }));
  /** Resolves once node B has a poll of the agent parked. */
  const parkedOnB = async () => {
    for (let i = 0; i < 400 && b.app.runtime.hub.openLongPolls(k.agentId) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    if (b.app.runtime.hub.openLongPolls(k.agentId) === 0) throw new Error("the poll never parked on node B");
  };
  return { k, a: k.s, b, pollB, parkedOnB };
}

t.test("a poll parked on node B wakes when node A creates the command; A hears its own NOTIFY and ignores it", pgOnly, async (t) => {
  t.setTimeout(60_000);
  const { k, a, b, pollB, parkedOnB } = await twoNodes(t);
  t.equal(b.app.runtime.hub.recheckMs, RECHECK_MS, "a shared database turns the re-check timer on");
  b.app.runtime.hub.recheckMs = 60_000; // so that only a NOTIFY can wake node B's poll within its 20 s
  const before = { aSent: a.app.runtime.counters.wakeupsSent, aOwn: a.app.runtime.counters.wakeupsOwn, bGot: b.app.runtime.counters.wakeupsReceived };
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    const waiting = pollB(20);
    await parkedOnB();
    const t0 = performance.now();
    const created = await k.execute("echo", { payload: { message: "hi" } });
    t.equal(created.status, 200);
    const got = await waiting;
    t.same(got.ids, [created.body.data.id], "node B's poll returned the command node A created");
    delays.push(got.at - t0);
  }
  delays.sort((x, y) => x - y);
  t.comment(`execute on A -> poll answered on B: median ${delays[2]!.toFixed(1)} ms, max ${delays[4]!.toFixed(1)} ms`);
  t.ok(delays[4]! < 10_000, `every wake-up came by NOTIFY well before the 20 s wait ended (max ${delays[4]!.toFixed(0)} ms)`);
  t.equal(a.app.runtime.counters.wakeupsSent - before.aSent, 5, "one NOTIFY per created command");
  t.equal(b.app.runtime.counters.wakeupsReceived - before.bGot, 5, "node B relayed each one");
  await new Promise((r) => setTimeout(r, 200)); // A's own notifications come back asynchronously
  t.equal(a.app.runtime.counters.wakeupsOwn - before.aOwn, 5, "node A heard its own five back and only counted them");
  t.equal(a.app.runtime.counters.wakeupsReceived, 0, "node A relayed none of its own");

  const sent = a.app.runtime.counters.wakeupsSent + b.app.runtime.counters.wakeupsSent;
  for (let i = 0; i < 5; i++) t.equal((await k.agent.post(`/api/agents/${k.agentId}/heartbeat`, {})).status, 200);
  const viaB = await fetch(`${b.url}/api/agents/${k.agentId}/heartbeat`, {
    method: "POST", headers: { authorization: `Bearer ${k.agent.token}`, "content-type": "application/json" }, body: "{}",
  });
  t.equal(viaB.status, 200);
  t.equal(a.app.runtime.counters.wakeupsSent + b.app.runtime.counters.wakeupsSent, sent, "heartbeats send no NOTIFY");
});

t.test("a lost notification delays the command by the re-check interval, never loses it", pgOnly, async (t) => {
  t.setTimeout(60_000);
  const { k, a, pollB, parkedOnB } = await twoNodes(t);
  a.db.notify = async () => {}; // node A's NOTIFYs are lost on the way
  const waiting = pollB(25);
  await parkedOnB();
  const t0 = performance.now();
  const created = await k.execute("echo", { payload: { message: "hi" } });
  const got = await waiting;
  const ms = got.at - t0;
  t.same(got.ids, [created.body.data.id], "the parked poll found the command on its own re-check");
  t.comment(`found by re-check after ${ms.toFixed(0)} ms`);
  t.ok(ms < RECHECK_MS * 1.25 + 2_000, `within one re-check interval (${ms.toFixed(0)} ms), not at the end of the 25 s wait`);
});

t.test("a listener reconnect wakes every parked wait to re-check", pgOnly, async (t) => {
  t.setTimeout(60_000);
  const { k, a, b, pollB, parkedOnB } = await twoNodes(t);
  b.app.runtime.hub.recheckMs = 60_000; // only the reconnect can wake it in time
  const notify = a.db.notify;
  a.db.notify = async () => {};
  const waiting = pollB(25);
  await parkedOnB();
  const created = await k.execute("echo", { payload: { message: "hi" } });
  const early = await Promise.race([waiting, new Promise((r) => setTimeout(() => r("still parked"), 500))]);
  t.equal(early, "still parked", "without the NOTIFY the poll does not know yet");
  const reconnects = b.app.runtime.counters.wakeupReconnects;
  const t0 = performance.now();
  // cut every LISTEN connection to this database (both nodes'): what a network blip or server restart does
  const cut = await a.db.all<{ pid: number }>(
    `SELECT pg_terminate_backend(pid) AS ok, pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`);
  t.ok(cut.length >= 2, `both listeners were cut (${cut.length})`);
  const got = await waiting;
  t.same(got.ids, [created.body.data.id], "the reconnect woke the poll and it found the command");
  t.ok(got.at - t0 < 10_000, `soon after the reconnect (${(got.at - t0).toFixed(0)} ms)`);
  t.ok(b.app.runtime.counters.wakeupReconnects > reconnects, "the reconnect was counted");

  // and wake-ups flow again over the new connection
  a.db.notify = notify;
  const next = pollB(25);
  await parkedOnB();
  const t1 = performance.now();
  const again = await k.execute("echo", { payload: { message: "hi" } });
  const got2 = await next;
  t.same(got2.ids, [again.body.data.id]);
  t.ok(got2.at - t1 < 5_000, `woken by NOTIFY over the re-established listener (${(got2.at - t1).toFixed(0)} ms)`);
});

t.test("the poll after a quiet window parks without a check of its own; a command whose NOTIFY was lost in between is found by the re-check", pgOnly, async (t) => {
  t.setTimeout(60_000);
  const { k, a, b, pollB } = await twoNodes(t);
  const checks: string[] = [];
  const get = b.db.get.bind(b.db);
  b.db.get = ((sql: string, params?: unknown[]) => {
    if (/FROM commands WHERE agent_id/.test(sql)) checks.push(sql);
    return get(sql, params as never);
  }) as typeof b.db.get;
  t.same((await pollB(1)).ids, [], "the first window ends with nothing");
  t.equal(checks.length, 1, "its poll checked the database once");
  t.same((await pollB(1)).ids, [], "the next window too");
  t.equal(checks.length, 1, "the poll right after a quiet window parked without checking");

  a.db.notify = async () => {}; // node A's NOTIFYs are lost on the way
  const created = await k.execute("echo", { payload: { message: "hi" } });
  const t0 = performance.now();
  const got = await pollB(25);
  t.same(got.ids, [created.body.data.id], "the command created between the windows reached the next poll");
  t.ok(got.at - t0 < RECHECK_MS * 2.5 + 2_000, `by the re-check, not at the end of the 25 s wait (${(got.at - t0).toFixed(0)} ms)`);

  // a wake-up heard since the window ended: the next poll checks at once
  await pollB(1); // a quiet window again
  const before = checks.length;
  b.app.runtime.hub.notifyAgent("agt_someone_else");
  t.same((await pollB(1)).ids, []);
  t.ok(checks.length > before, "notified since: the poll checked the database");
});
