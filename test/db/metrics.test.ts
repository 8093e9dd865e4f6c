// Aggregates for metrics and diagnostics: table totals, commands by status and type, finished-since keyset.
import t from "tap";
import { commandsByStatusType, commandsFinishedSince, tableTotals } from "../../src/db/metrics.js";
import { addAgentService, addCommand, addUser, at, fileDb } from "./_seed.js";

t.test("table totals count every main table", async (t) => {
  const db = await fileDb(t);
  t.same(await tableTotals(db), { agents: 0, capsuleServices: 0, commands: 0, auditEvents: 0, users: 0, registrationTokens: 0 });
  const o = await addAgentService(db);
  await addAgentService(db);
  await addCommand(db, o);
  await addUser(db, "u1");
  t.same(await tableTotals(db), { agents: 2, capsuleServices: 2, commands: 1, auditEvents: 0, users: 1, registrationTokens: 0 });
});

t.test("commands by status and type", async (t) => {
  const db = await fileDb(t);
  const o = await addAgentService(db);
  await addCommand(db, o);
  await addCommand(db, o);
  await addCommand(db, o, { type: "ACTION_PREPARE" });
  await addCommand(db, o, {}, { status: "FAILED", at: at(5) });
  const rows = (await commandsByStatusType(db)).sort((a, b) => `${a.status}${a.type}`.localeCompare(`${b.status}${b.type}`));
  t.same(rows, [
    { status: "FAILED", type: "ACTION_EXECUTE", n: 1 },
    { status: "PENDING", type: "ACTION_EXECUTE", n: 2 },
    { status: "PENDING", type: "ACTION_PREPARE", n: 1 },
  ]);
});

t.test("finished since a watermark: oldest first, ties by id, bounded, unfinished left out", async (t) => {
  const db = await fileDb(t);
  const o = await addAgentService(db);
  const first = await addCommand(db, o, {}, { status: "SUCCEEDED", at: at(10) });
  const tieA = await addCommand(db, o, {}, { status: "FAILED", at: at(20) });
  const tieB = await addCommand(db, o, {}, { status: "EXPIRED", at: at(20) });
  await addCommand(db, o); // pending
  const [lo, hi] = [tieA, tieB].sort();
  const all = await commandsFinishedSince(db, { completedAt: "", id: "" }, 10);
  t.same(all.map((c) => c.id), [first, lo, hi]);
  t.match(all[0], { type: "ACTION_EXECUTE", status: "SUCCEEDED", createdAt: at(0), startedAt: at(0), completedAt: at(10) });
  t.same((await commandsFinishedSince(db, { completedAt: at(20), id: lo! }, 10)).map((c) => c.id), [hi], "after the watermark row only");
  t.same((await commandsFinishedSince(db, { completedAt: "", id: "" }, 1)).map((c) => c.id), [first], "bounded");
});
