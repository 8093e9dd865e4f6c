// A fleet's first contacts arriving together are written in few transactions (domain/firstContacts.ts),
// each agent's transition and its audit sample as before, and one failing contact fails only itself.
import t from "tap";
import { touchAgent } from "../../src/domain/agents.js";
import { writeInBatch } from "../../src/domain/firstContacts.js";
import { startTestServer } from "../helpers.js";

/** A batch writer from a writer of one contact, called for each contact of the batch in turn. */
const eachOf = (one: (agentId: string) => Promise<boolean>) => async (batch: readonly { agentId: string }[]): Promise<boolean[]> => {
  const out: boolean[] = [];
  for (const c of batch) out.push(await one(c.agentId));
  return out;
};
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

t.test("a contact whose write fails fails alone; the others of its batch commit", async (t) => {
  const s = await startTestServer(t);
  const written: string[] = [];
  const write = async (agentId: string): Promise<boolean> => {
    await s.app.db.get("SELECT 1 AS one");
    if (agentId === "agt_bad") throw new Error("this one fails");
    written.push(agentId);
    return agentId !== "agt_gone";
  };
  const ids = ["agt_a", "agt_bad", "agt_b", "agt_gone", "agt_c"];
  const settled = await Promise.allSettled(ids.map((id) => writeInBatch(s.app, id, new Date(), eachOf(write))));
  t.same(settled.map((r) => r.status), ["fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
  t.same(settled.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message)), [true, "this one fails", true, false, true]);
  t.same(new Set(written), new Set(["agt_a", "agt_b", "agt_c", "agt_gone"]));
  t.equal(s.app.runtime.firstContacts.queue.length, 0);
  t.equal(s.app.runtime.firstContacts.lanes, 0, "no lane left running");
});

t.test("contacts queued while a batch is being written: a batch of their own at once on PostgreSQL, after it on SQLite", async (t) => {
  const s = await startTestServer(t);
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((r) => (releaseFirst = r));
  const started: string[] = [];
  const write = async (agentId: string): Promise<boolean> => {
    started.push(agentId);
    if (agentId === "agt_first") await firstHeld; // a batch whose round trips wait on a busy loop
    return true;
  };
  const first = writeInBatch(s.app, "agt_first", new Date(), eachOf(write));
  for (let i = 0; i < 200 && started.length === 0; i++) await new Promise((r) => setTimeout(r, 5)); // the first batch is open (after BEGIN)
  t.same(started, ["agt_first"]);
  const later = writeInBatch(s.app, "agt_later", new Date(), eachOf(write));
  await new Promise((r) => setTimeout(r, 100));
  if (s.app.db.kind === "postgres") {
    t.same(started, ["agt_first", "agt_later"], "PostgreSQL: the later contact's batch runs beside the open one");
    t.equal(await later, true, "and commits without waiting for it");
  } else {
    t.same(started, ["agt_first"], "SQLite: transactions are serialised, so it waits for the next batch");
  }
  releaseFirst();
  t.same(await Promise.all([first, later]), [true, true]);
  t.equal(s.app.runtime.firstContacts.lanes, 0, "no lane left running");
});
