// Issue #16 point 3: a parked long poll is a small record in the hub, ended by one timer wheel, and
// told directly when its client leaves: no timer, AbortController or listener per poll. Checked on
// the hub itself (timers counted by Node) and over real HTTP (a departed client, a wheel deadline).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import t from "tap";
import { CommandHub, Parked, type ClientLink } from "../../src/domain/hub.js";
import { kit } from "../commandKit.js";
import { sleep } from "../helpers.js";

t.setTimeout(120_000);

/** Timers made while fn runs (the wheel's interval is unref'd, so Node's resource list would not show it). */
function timersMadeBy(fn: () => void): number {
  const { setTimeout: st, setInterval: si } = globalThis;
  let n = 0;
  globalThis.setTimeout = ((...a: Parameters<typeof st>) => (n++, st(...a))) as typeof st;
  globalThis.setInterval = ((...a: Parameters<typeof si>) => (n++, si(...a))) as typeof si;
  try {
    fn();
  } finally {
    Object.assign(globalThis, { setTimeout: st, setInterval: si });
  }
  return n;
}
/** A bare record: settled() resolves its promise (the real one, domain/commands/poll.ts, claims and answers). */
class Probe extends Parked {
  readonly done: Promise<boolean>;
  private resolve!: (woken: boolean) => void;
  constructor(hub: CommandHub, agentId: string, waitMs: number, client?: ClientLink) {
    super(hub, agentId, Date.now() + waitMs, client);
    this.done = new Promise((r) => (this.resolve = r));
  }
  settled(woken: boolean): void {
    this.resolve(woken);
  }
}

/** Parks a probe (as the poll does after an empty claim); its promise says how it left. */
function wait(hub: CommandHub, agentId: string, waitMs: number, client?: ClientLink): Promise<boolean> {
  const rec = new Probe(hub, agentId, waitMs, client);
  const outcome = hub.park(rec, hub.agentNotifications);
  return outcome === "parked" ? rec.done : Promise.resolve(false);
}

// the hub's wheel does not keep a process alive; this test process must stay up while it awaits
const keepAlive = setInterval(() => {}, 1000);
t.teardown(() => clearInterval(keepAlive));

t.test("1,000 parked polls hold one timer between them, and each answers at its deadline", async (t) => {
  const hub = new CommandHub();
  t.teardown(() => hub.close());
  let waits: Promise<boolean>[] = [];
  const made = timersMadeBy(() => {
    waits = Array.from({ length: 1000 }, (_, i) => wait(hub, `agt_${i % 500}`, 600 + (i % 3) * 100));
  });
  t.equal(hub.parkedPolls, 1000);
  t.equal(hub.parkedAgentIds().length, 500, "two polls per agent, one list each");
  t.equal(made, 1, "one wheel for all of them, not a timer per poll");
  const t0 = Date.now();
  hub.notifyAgent("agt_7");
  t.equal(hub.parkedPolls, 998, "a wake-up answers both polls of that agent at once");
  const results = await Promise.all(waits);
  const took = Date.now() - t0;
  t.equal(results.filter((r) => r).length, 2, "the woken ones say so");
  t.ok(took >= 600 && took < 5000, `the rest ended with their window (${took} ms; wheel tick 250 ms)`);
  t.equal(hub.parkedPolls, 0);
  t.same(hub.parkedAgentIds(), []);
});

t.test("a client that leaves is answered at once through its link; a departed client never parks", async (t) => {
  const hub = new CommandHub();
  t.teardown(() => hub.close());
  const link: ClientLink & { gone: boolean } = { gone: false, get clientGone() { return this.gone; } };
  const first = wait(hub, "agt_a", 20_000, link);
  const other = wait(hub, "agt_a", 20_000);
  t.ok(link.parked, "the hub left its record on the link");
  const t0 = Date.now();
  link.gone = true;
  link.parked!.clientLeft();
  t.equal(await first, false);
  t.ok(Date.now() - t0 < 100, "at once, not at the next tick");
  t.equal(link.parked, undefined, "the link is cleared");
  t.equal(hub.parkedPolls, 1, "the agent's other poll stays parked");
  t.equal(await wait(hub, "agt_b", 20_000, link), false, "a client already gone is not parked");
  hub.close();
  t.equal(await other, false, "shutdown answers the rest");
});

t.test("over HTTP: a short window answers [] on the wheel, a departed poll leaves the hub", async (t) => {
  const k = await kit(t);
  const t0 = performance.now();
  const r = await k.poll("?waitSeconds=0.6");
  const took = performance.now() - t0;
  t.same(r.body.data, []);
  t.ok(took >= 550 && took < 3000, `answered ${took.toFixed(0)} ms after a 600 ms window`);
  const ac = new AbortController();
  const gone = fetch(`${k.s.url}/api/agents/${k.agentId}/commands?waitSeconds=20`, { headers: { authorization: `Bearer ${k.agent.token}` }, signal: ac.signal }).catch(() => "aborted");
  await sleep(200);
  t.equal(k.s.app.runtime.hub.parkedPolls, 1);
  ac.abort();
  await gone;
  await sleep(100);
  t.equal(k.s.app.runtime.hub.parkedPolls, 0, "the record went with its client");
  t.equal(k.s.app.runtime.hub.openLongPolls(k.agentId), 0);
});

/** A real gc() for this process (the flag can be set at run time; the function comes from a fresh context). */
function collector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

t.test("a parked poll holds none of its request: the hub answers it, so its ctx is collected while it waits", async (t) => {
  const k = await kit(t);
  const route = k.s.routes.find((r) => r.name === "pollCommands")!;
  const handler = route.handler;
  t.teardown(() => (route.handler = handler));
  let ref: WeakRef<object> | undefined;
  route.handler = (ctx) => {
    ref = new WeakRef(ctx);
    return handler(ctx);
  };
  const gc = collector();
  const polled = k.poll("?waitSeconds=20");
  while (k.s.app.runtime.hub.parkedPolls === 0) await sleep(20);
  route.handler = handler;
  for (let i = 0; i < 5 && ref!.deref(); i++) {
    await sleep(20);
    gc();
  }
  t.equal(ref!.deref(), undefined, "nothing reachable holds the parked request's ctx (no suspended handler chain)");
  const created = await k.execute("echo", { payload: { message: "to the parked poll" } });
  const r = await polled;
  t.equal(r.status, 200);
  t.same(r.body.data.map((c: { id: string }) => c.id), [created.body.data.id], "the hub's answer carries the claimed command");
  t.equal(k.s.app.runtime.hub.openLongPolls(k.agentId), 0);
});

t.test("a parked poll's access-log line: one line, status 200, the real wait, the agent, its request id", async (t) => {
  const k = await kit(t);
  const requestId = "parked-poll-log-1";
  const t0 = performance.now();
  const r = await fetch(`${k.s.url}/api/agents/${k.agentId}/commands?waitSeconds=0.6`, { headers: { authorization: `Bearer ${k.agent.token}`, "x-request-id": requestId } });
  const took = performance.now() - t0;
  t.equal(r.status, 200);
  t.equal(r.headers.get("x-request-id"), requestId);
  t.same((await r.json()).data, []);
  await sleep(50);
  const lines = k.s.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "request" && l.requestId === requestId);
  t.equal(lines.length, 1, "exactly one access-log line");
  const line = lines[0]!;
  t.match(line, { method: "GET", route: "/api/agents/:agentId/commands", status: 200, actor: "agent", actorId: k.agentId });
  t.ok((line.ms as number) >= 550 && (line.ms as number) <= took + 5, `the line's duration covers the wait (${String(line.ms)} ms of ${took.toFixed(0)} ms)`);
});

t.test("an error while the hub answers a parked poll gets the error envelope; the poll's slot is freed and the command kept", async (t) => {
  const k = await kit(t);
  const db = k.s.app.db;
  const original = db.get.bind(db);
  let armed = false;
  // the woken poll's claim fails (its unlocked read), as a broken database connection would
  db.get = (async (query: string, params?: unknown[]) => {
    if (armed && /status\s*=\s*'PENDING'/i.test(query) && params?.[0] === k.agentId) {
      armed = false;
      throw new Error("simulated failure while claiming");
    }
    return original(query, params as never);
  }) as typeof db.get;
  t.teardown(() => (db.get = original));
  const polled = fetch(`${k.s.url}/api/agents/${k.agentId}/commands?waitSeconds=20`, { headers: { authorization: `Bearer ${k.agent.token}`, "x-request-id": "parked-poll-fails" } });
  while (k.s.app.runtime.hub.parkedPolls === 0) await sleep(20);
  armed = true;
  const created = await k.execute("echo", { payload: { message: "kept for the next poll" } });
  const r = await polled;
  t.equal(r.status, 500);
  t.equal(r.headers.get("x-request-id"), "parked-poll-fails");
  t.same(await r.json(), { success: false, error: { code: "INTERNAL_ERROR", message: "unexpected server error" } });
  t.ok(k.s.logs.some((l) => l.includes("request failed") && l.includes("simulated failure while claiming") && l.includes("parked-poll-fails")), "logged with the request id");
  t.equal(k.s.app.runtime.hub.openLongPolls(k.agentId), 0, "the long-poll slot is freed");
  t.same((await k.poll()).body.data.map((c: { id: string }) => c.id), [created.body.data.id], "the command waits for the next poll");
});
