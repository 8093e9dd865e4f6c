// Buffered contacts (domain/contacts.ts) are written by one flush at a time: callers arriving while a
// flush is written share the next one, and each caller returns once what it buffered is written.
// Several flushes at once waited on one another's agent rows on PostgreSQL, each holding a pooled
// connection, until a connecting fleet ran the pool dry.
import t from "tap";
import { bufferContact, flushContacts } from "../../src/domain/contacts.js";
import { startTestServer } from "../helpers.js";
import { createRegistrationToken, reportedService } from "../fixtures.js";

t.test("one flush at a time; callers meanwhile share the next; every caller sees its contact written", async (t) => {
  const s = await startTestServer(t);
  const operator = await s.loginAs("operator");
  const reg = await s.anon.post("/api/agents/register", {
    registrationToken: await createRegistrationToken(operator),
    agent: { code: "flushed", mode: "embedded", runtime: "nodejs", version: "0.1.0" }, service: reportedService("flushed-svc"),
  });
  const agentId = reg.body.data.agentId as string;
  const db = s.app.db;
  const original = db.run.bind(db);
  let open = 0;
  let most = 0;
  let writes = 0;
  db.run = (async (sql: string, params?: never[]) => {
    if (!sql.includes("last_heartbeat_at = v.column2")) return original(sql, params);
    writes++;
    most = Math.max(most, ++open);
    await new Promise((r) => setTimeout(r, 50)); // a flush waiting on row locks
    try {
      return await original(sql, params);
    } finally {
      open--;
    }
  }) as typeof db.run;
  t.teardown(() => { db.run = original; });

  const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();
  bufferContact(s.app, agentId, at(1));
  const first = flushContacts(s.app);
  bufferContact(s.app, agentId, at(2));
  const second = flushContacts(s.app);
  const third = flushContacts(s.app);
  t.equal(third, second, "a caller arriving while a flush waits shares it");
  await Promise.all([first, second, third]);
  t.equal(most, 1, "never two flushes at once");
  t.equal(writes, 2, "two flushes for three callers");
  const row = await db.get<{ last_heartbeat_at: string }>("SELECT last_heartbeat_at FROM agents WHERE id = ?", [agentId]);
  t.equal(row?.last_heartbeat_at, at(2), "the latest buffered contact is written");
  t.equal(s.app.runtime.contactFlush.running, undefined);
  t.equal(s.app.runtime.contactFlush.queued, undefined);
});
