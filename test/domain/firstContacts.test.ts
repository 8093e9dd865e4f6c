// A fleet's first contacts arriving together are written in few transactions (domain/firstContacts.ts),
// each agent's transition and its audit sample as before, and one failing contact fails only itself.
import t from "tap";
import type { Db } from "../../src/db/engine.js";
import { getAgent } from "../../src/db/agents.js";
import { touchAgent } from "../../src/domain/agents.js";
import { writeInBatch } from "../../src/domain/firstContacts.js";
import { startTestServer } from "../helpers.js";
import { createRegistrationToken, reportedService } from "../fixtures.js";

t.test("40 first contacts in one event-loop turn: all ONLINE, one audit sample each, one transaction, five statements", async (t) => {
  const s = await startTestServer(t);
  const operator = await s.loginAs("operator");
  const agents: { agentId: string; agentToken: string }[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await s.anon.post("/api/agents/register", {
      registrationToken: await createRegistrationToken(operator),
      agent: { code: `fleet-${i}`, mode: "embedded", runtime: "nodejs", version: "0.1.0" },
      service: reportedService(`fleet-svc-${i}`),
    });
    t.equal(res.status, 200);
    agents.push(res.body.data);
  }
  const db = s.app.db;
  const original = db.transaction.bind(db);
  let transactions = 0;
  db.transaction = <T>(fn: () => Promise<T>): Promise<T> => {
    transactions++;
    return original(fn);
  };
  const statements: string[] = [];
  const originalRun = db.run.bind(db);
  const originalAll = db.all.bind(db);
  db.run = (sql, params) => (statements.push(sql), originalRun(sql, params));
  db.all = ((sql: string, params?: unknown[]) => (statements.push(sql), originalAll(sql, params as never))) as typeof db.all;
  // as requests read in one turn of a busy loop call it (over HTTP at test speed each arrives in a turn of its own);
  // the first agent twice, as its heartbeat and its poll
  await Promise.all([...agents, agents[0]!].map((a) => touchAgent(s.app, a.agentId, "PENDING")));
  Object.assign(db, { transaction: original, run: originalRun, all: originalAll });
  t.equal(transactions, 1, "one transaction (one per contact before)");
  t.equal(statements.filter((sql) => /\bagents\b/.test(sql)).length, 4, "four statements on agents for the batch (four per contact before)");
  t.equal(statements.filter((sql) => /INSERT INTO audit_events/.test(sql)).length, 1, "the 40 samples in one INSERT (one per contact before)");
  const owner = await s.loginAs("owner");
  const listed = (await owner.get("/api/admin/agents?status=ONLINE&pageSize=100")).body.data as { id: string }[];
  t.same(new Set(listed.map((a) => a.id)), new Set(agents.map((a) => a.agentId)), "every agent ONLINE");
  const samples = (await owner.get("/api/admin/audit-events?action=agent.heartbeat.received&pageSize=100")).body.data as { targetId: string; metadata: { previousStatus?: string } }[];
  t.equal(samples.length, 40, "one sample per agent");
  t.same(new Set(samples.map((e) => e.targetId)), new Set(agents.map((a) => a.agentId)));
  t.ok(samples.every((e) => e.metadata.previousStatus === "PENDING"), "each sample records the transition");
  // the next heartbeat is the steady state: no transaction
  transactions = 0;
  db.transaction = <T>(fn: () => Promise<T>): Promise<T> => {
    transactions++;
    return original(fn);
  };
  const again = await s.clientWith({ token: agents[0]!.agentToken }).post(`/api/agents/${agents[0]!.agentId}/heartbeat`, {});
  db.transaction = original;
  t.equal(again.status, 200);
  t.equal(transactions, 0, "a later contact is coalesced, not a transaction");
});

/** Registers n agents through the agent API; their first contacts are still to come. */
async function registerAgents(s: Awaited<ReturnType<typeof startTestServer>>, n: number, prefix: string) {
  const operator = await s.loginAs("operator");
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await s.anon.post("/api/agents/register", {
      registrationToken: await createRegistrationToken(operator),
      agent: { code: `${prefix}-${i}`, mode: "embedded", runtime: "nodejs", version: "0.1.0" },
      service: reportedService(`${prefix}-svc-${i}`),
    });
    ids.push((res.body.data as { agentId: string }).agentId);
  }
  return ids;
}

/** Runs `hook` before every statement that locks a batch of agents, with the batch's agent ids. */
function onBatchLock(db: Db, hook: (ids: unknown[]) => Promise<void> | void): () => void {
  const original = db.all.bind(db);
  db.all = (async (sql: string, params?: unknown[]) => {
    if (/^SELECT .* FROM agents WHERE id IN/s.test(sql)) await hook(params ?? []);
    return original(sql, params as never);
  }) as typeof db.all;
  return () => void (db.all = original);
}

t.test("a contact whose write fails fails alone; the others of its batch commit", async (t) => {
  const s = await startTestServer(t);
  const [a, bad, b, c] = await registerAgents(s, 4, "alone");
  t.teardown(onBatchLock(s.app.db, (ids) => {
    if (ids.includes(bad)) throw new Error("this one fails");
  }));
  const ids = [a!, bad!, b!, "agt_gone", c!];
  const settled = await Promise.allSettled(ids.map((id) => writeInBatch(s.app, id, new Date())));
  t.same(settled.map((r) => r.status), ["fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
  t.same(settled.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message)), [true, "this one fails", true, false, true]);
  const online = async (id: string) => (await getAgent(s.app.db, id))?.status;
  t.same(await Promise.all([a!, bad!, b!, c!].map(online)), ["ONLINE", "PENDING", "ONLINE", "ONLINE"], "the others committed; the failed one did not");
  t.equal(s.app.runtime.firstContacts.queue.length, 0);
  t.equal(s.app.runtime.firstContacts.lanes, 0, "no lane left running");
});

t.test("contacts queued while a batch is being written: a batch of their own at once on PostgreSQL, after it on SQLite", async (t) => {
  const s = await startTestServer(t);
  const [firstId, laterId] = await registerAgents(s, 2, "lanes");
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((r) => (releaseFirst = r));
  const started: string[] = [];
  t.teardown(onBatchLock(s.app.db, async (ids) => {
    started.push(...(ids as string[]));
    if (ids.includes(firstId)) await firstHeld; // a batch whose round trips wait on a busy loop
  }));
  const first = writeInBatch(s.app, firstId!, new Date());
  for (let i = 0; i < 200 && started.length === 0; i++) await new Promise((r) => setTimeout(r, 5)); // the first batch is open (after BEGIN)
  t.same(started, [firstId]);
  const later = writeInBatch(s.app, laterId!, new Date());
  await new Promise((r) => setTimeout(r, 100));
  if (s.app.db.kind === "postgres") {
    t.same(started, [firstId, laterId], "PostgreSQL: the later contact's batch runs beside the open one");
    t.equal(await later, true, "and commits without waiting for it");
  } else {
    t.same(started, [firstId], "SQLite: transactions are serialised, so it waits for the next batch");
  }
  releaseFirst();
  t.same(await Promise.all([first, later]), [true, true]);
  t.equal(s.app.runtime.firstContacts.lanes, 0, "no lane left running");
});
