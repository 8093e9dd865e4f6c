// The per-agent cap on concurrent long polls counts a poll from admission to answer. It counted the
// polls registered as waiters, and a woken poll leaves that set while it claims (a database round trip)
// before it waits again: new polls got in during that gap (6 held against a cap of 4 on PostgreSQL,
// whose parked polls re-checked on a timer). Here the agent's parked polls are woken every 50 ms on either
// engine while polls arrive one at a time for two seconds: no more were admitted than the cap allows.
import t from "tap";
import { registerTestAgent } from "../fixtures.js";
import { startTestServer } from "../helpers.js";

t.test("never more long polls of one agent in progress than the cap, re-checks included", async (t) => {
  t.setTimeout(60_000);
  const s = await startTestServer(t);
  const a = await registerTestAgent(s);
  const cap = s.config.maxLongPollsPerAgent;
  // every parked poll is woken all the time (as wake-ups and re-checks do), so it leaves and re-enters its wait
  const churn = setInterval(() => s.app.runtime.hub.notifyAgent(a.agentId), 50);
  t.teardown(() => clearInterval(churn));
  // and each re-check's claim takes 20 ms more, as a PostgreSQL round trip on a busy machine can
  const db = s.app.db as { transaction: <T>(fn: () => Promise<T>) => Promise<T> };
  const transaction = db.transaction.bind(db);
  db.transaction = async (fn) => { await new Promise((r) => setTimeout(r, 20)); return transaction(fn); };
  const polls: Promise<{ status: number; start: number; end: number }>[] = [];
  const until = Date.now() + 2000;
  while (Date.now() < until) {
    const start = performance.now();
    polls.push(fetch(`${s.url}/api/agents/${a.agentId}/commands?waitSeconds=1`, { headers: { authorization: `Bearer ${a.agentToken}` } })
      .then(async (r) => { await r.arrayBuffer(); return { status: r.status, start, end: performance.now() }; }));
    await new Promise((r) => setTimeout(r, 5));
  }
  const results = await Promise.all(polls);
  const held = results.filter((r) => r.status === 200);
  t.ok(results.every((r) => r.status === 200 || r.status === 429), "answered 200 or 429, nothing else");
  t.ok(results.some((r) => r.status === 429), "the cap refused some");
  // An admitted poll holds its slot for its whole 1 s window, so in the ~3 s from the first poll to the
  // last answer at most cap x 3 (plus the cap, for windows cut at the edges) can be admitted.
  const span = (Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start))) / 1000;
  const bound = cap * Math.ceil(span) + cap;
  t.ok(held.length <= bound, `${held.length} polls admitted (answered 200) of ${results.length} in ${span.toFixed(1)} s; at most ${bound} with ${cap} slots of 1 s`);
  t.equal(s.app.runtime.hub.openLongPolls(), 0, "none left counted");
});
