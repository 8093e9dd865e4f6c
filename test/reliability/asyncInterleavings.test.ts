// Interleavings the async data layer makes possible and the code must survive (issue 15). Each test
// forces one interleaving deterministically by wrapping the server's own hub or Db (the server runs in
// this process), then checks what a client sees over real HTTP.
import t from "tap";
import type { Db } from "../../src/db/engine.js";
import { HEARTBEAT_AUDIT_WINDOW_MS } from "../../src/domain/firstContacts.js";
import { kit } from "../commandKit.js";

/** Runs `after` once, right after the next transaction for which `when` holds has committed, before its caller resumes. */
function afterCommit(db: Db, when: () => Promise<boolean>, after: () => Promise<void>): void {
  const original = db.transaction.bind(db);
  let armed = true;
  db.transaction = async <T>(fn: () => Promise<T>): Promise<T> => {
    const result = await original(fn);
    if (armed && (await when())) {
      armed = false;
      await after();
    }
    return result;
  };
}

const count = async (db: Db, sql: string, params: (string | number)[] = []): Promise<number> =>
  (await db.get<{ n: number }>(sql, params))!.n;

t.test("a long poll does not miss a command created between its empty claim and parking", async (t) => {
  const k = await kit(t);
  const hub = k.s.app.runtime.hub;
  const db = k.s.app.db;
  const original = db.get.bind(db);
  let created: string | undefined;
  let polling = false;
  // the poll's claim found nothing (its one unlocked read); before it parks, an operator executes an action
  db.get = (async (query: string, params?: unknown[]) => {
    const row = await original(query, params as never);
    if (polling && row === undefined && /status\s*=\s*'PENDING'/i.test(query) && params?.[0] === k.agentId) {
      polling = false;
      db.get = original;
      const r = await k.execute("echo", { payload: { message: "between claim and wait" } });
      if (r.status !== 200) throw new Error(`execute: ${r.status} ${r.text}`);
      created = r.body.data.id as string;
      t.equal(hub.parkedPolls, 0, "the command's wake-up found no parked poll");
    }
    return row;
  }) as typeof db.get;
  polling = true;
  const t0 = Date.now();
  const polled = await k.poll("?waitSeconds=20");
  t.equal(polled.status, 200);
  t.ok(created, "the command was created while the poll was between claim and wait");
  t.same(polled.body.data.map((c: { id: string }) => c.id), [created], "the poll returned the command");
  t.ok(Date.now() - t0 < 10_000, `answered at once, not after the 20 s wait window (${Date.now() - t0} ms)`);
});

t.test("a poll that claims a secret command the moment its transaction commits gets the secret", async (t) => {
  const k = await kit(t);
  const db = k.s.app.db;
  let polled: Awaited<ReturnType<typeof k.poll>> | undefined;
  // right after the command's transaction commits, before createCommand resumes, the agent polls
  afterCommit(db, async () => (await count(db, `SELECT COUNT(*) AS n FROM commands WHERE action_name = 'login'`)) === 1, async () => {
    polled = await k.poll();
  });
  const created = await k.execute("login", { payload: { user: "ana", password: "hunter2-secret" } });
  t.equal(created.status, 200, created.text);
  t.equal(polled?.status, 200, "the poll ran between the commit and the rest of createCommand");
  const cmd = polled!.body.data.find((c: { id: string }) => c.id === created.body.data.id);
  t.ok(cmd, "the poll claimed the command");
  t.equal(cmd?.payload?.password, "hunter2-secret", "with its secret field, not SECRET_UNAVAILABLE");
  const row = await db.get<{ status: string; error_code: string | null }>(`SELECT status, error_code FROM commands WHERE id = ?`, [created.body.data.id]);
  t.same(row, { status: "RUNNING", error_code: null });
});

t.test("a heartbeat whose transaction rolls back leaves no trace in memory: the next one writes the sample", async (t) => {
  let nowMs = Date.parse("2026-03-01T10:00:00Z");
  const k = await kit(t, { now: () => new Date(nowMs) });
  const db = k.s.app.db;
  const samples = () => count(db, `SELECT COUNT(*) AS n FROM audit_events WHERE action = 'agent.heartbeat.received' AND actor_id = ?`, [k.agentId]);
  const before = await samples();
  nowMs += HEARTBEAT_AUDIT_WINDOW_MS + 1000; // a new sample is due
  // the heartbeat's transaction does all its work, then fails to commit (as a PostgreSQL serialization
  // failure would), again when written on its own (domain/firstContacts.ts retries a failed batch per contact)
  const original = db.transaction.bind(db);
  let armed = true;
  let rollbacks = 0;
  db.transaction = <T>(fn: () => Promise<T>): Promise<T> => original(async () => {
    const n = await samples();
    const result = await fn();
    if (armed && (await samples()) > n) {
      rollbacks++;
      throw new Error("forced rollback");
    }
    return result;
  });
  const failed = await k.agent.post(`/api/agents/${k.agentId}/heartbeat`, {});
  armed = false;
  t.equal(failed.status, 500, "the forced failure surfaces");
  t.ok(rollbacks >= 1, "the heartbeat's sample transaction was the one rolled back");
  t.equal(await samples(), before, "rolled back: no sample stored");
  const next = await k.agent.post(`/api/agents/${k.agentId}/heartbeat`, {});
  t.equal(next.status, 200);
  t.equal(await samples(), before + 1, "the next heartbeat writes the sample the rolled-back one did not");
});
