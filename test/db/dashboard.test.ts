// The dashboard's hourly aggregates: finished executions by outcome, distinct agents heard from.
import t from "tap";
import { insertAuditEvent } from "../../src/db/audit.js";
import { activeAgentsByHour, commandOutcomesByHour } from "../../src/db/dashboard.js";
import { newId } from "../../src/ids.js";
import { addAgentService, addCommand, at, fileDb } from "./_seed.js";

const H = 3600;
const sorted = <T extends { hour: string }>(rows: T[]) => [...rows].sort((a, b) => a.hour.localeCompare(b.hour) || JSON.stringify(a).localeCompare(JSON.stringify(b)));

t.test("command outcomes per hour: executions only, finished since the cutoff", async (t) => {
  const db = await fileDb(t);
  const o = await addAgentService(db);
  await addCommand(db, o, {}, { status: "SUCCEEDED", at: at(60) });
  await addCommand(db, o, {}, { status: "SUCCEEDED", at: at(120) });
  await addCommand(db, o, {}, { status: "FAILED", at: at(180) });
  await addCommand(db, o, {}, { status: "EXPIRED", at: at(H + 60) });
  await addCommand(db, o, { type: "ACTION_PREPARE" }, { status: "SUCCEEDED", at: at(90) }); // prepares are not executions
  await addCommand(db, o); // still PENDING: not finished
  await addCommand(db, o, {}, { status: "SUCCEEDED", at: at(-H) }); // before the cutoff
  t.same(sorted(await commandOutcomesByHour(db, at(0))), [
    { hour: "2026-05-01T12", status: "FAILED", n: 1 },
    { hour: "2026-05-01T12", status: "SUCCEEDED", n: 2 },
    { hour: "2026-05-01T13", status: "EXPIRED", n: 1 },
  ]);
  t.same(await commandOutcomesByHour(db, at(2 * H)), [], "nothing after the last completion");
});

t.test("active agents per hour: distinct agents from heartbeat samples", async (t) => {
  const db = await fileDb(t);
  const beat = (agent: string, s: number, action = "agent.heartbeat.received") => insertAuditEvent(db, {
    id: newId("aud"), createdAt: at(s), actorType: "AGENT", actorId: agent, action, targetType: "Agent", targetId: agent,
    result: "SUCCESS", message: null, metadata: null, requestId: null,
  });
  await beat("agt_a", 10); await beat("agt_a", 20); await beat("agt_b", 30); // hour 12: two agents, a counted once
  await beat("agt_a", H + 10); // hour 13: one
  await beat("agt_c", 40, "agent.registered"); // not a heartbeat
  await beat("agt_d", -10); // before the cutoff
  t.same(sorted(await activeAgentsByHour(db, at(0))), [{ hour: "2026-05-01T12", n: 2 }, { hour: "2026-05-01T13", n: 1 }]);
});
