// audit_events: round trip, filters, keyset export batches, retention batches and action counts.
import t from "tap";
import { CHECK_VIOLATION } from "../testDb.js";
import {
  auditBatch, countAuditActions, deleteAuditEventsBefore, getAuditEvent, insertAuditEvent, insertAuditEvents, listAuditEvents, recentAuditEvents, type AuditRow,
} from "../../src/db/audit.js";
import { at, fileDb } from "./_seed.js";

let n = 0;
const event = (over: Partial<AuditRow> = {}): AuditRow => ({
  id: `aud_${String(++n).padStart(4, "0")}`, createdAt: at(n), actorType: "USER", actorId: "usr_1", action: "user.created",
  targetType: "User", targetId: "usr_2", result: "SUCCESS", message: null, metadata: null, requestId: null, ...over,
});
const ids = (rows: AuditRow[]) => rows.map((r) => r.id);
const NEWEST = [{ field: "createdAt", desc: true }];

t.test("insert and read back, metadata as JSON", async (t) => {
  const db = await fileDb(t);
  const e = event({ metadata: { ip: "::1", nested: { a: [1, 2] } }, message: "hi", requestId: "req-1" });
  await insertAuditEvent(db, e);
  t.same(await getAuditEvent(db, e.id), e);
  t.equal(await getAuditEvent(db, "aud_missing"), undefined);
  await t.rejects(() => insertAuditEvent(db, event({ actorType: "ROBOT" as never })), { code: CHECK_VIOLATION });
});

t.test("several events in one statement per 64, each read back whole (searchable too)", async (t) => {
  const db = await fileDb(t);
  const rows = Array.from({ length: 70 }, (_, i) => event({ action: "agent.heartbeat.received", message: i === 69 ? "the last one" : null, metadata: { i } }));
  await insertAuditEvents(db, rows);
  for (const r of rows) if (!(await getAuditEvent(db, r.id))) t.fail(`${r.id} missing`);
  t.same(await getAuditEvent(db, rows[69]!.id), rows[69], "the second statement's row, whole");
  t.same(ids((await listAuditEvents(db, { q: "the last one" }, NEWEST, 1, 10)).rows), [rows[69]!.id], "found by text search");
  await insertAuditEvents(db, []);
  await t.rejects(() => insertAuditEvents(db, [event(), event({ actorType: "ROBOT" as never })]), { code: CHECK_VIOLATION }, "one bad row fails its statement");
});

t.test("list filters: values OR, filters AND, time bounds inclusive, literal search", async (t) => {
  const db = await fileDb(t);
  const a = event({ action: "agent.registered", actorType: "AGENT", actorId: "agt_1", targetType: "Agent", targetId: "agt_1" });
  const b = event({ action: "session.login.failed", result: "FAILURE", message: "bad 100% password" });
  const c = event({ action: "system.agent.offline", actorType: "SYSTEM", actorId: null, targetType: "Agent", targetId: "agt_1" });
  const d = event({ action: "user.created" });
  for (const e of [a, b, c, d]) await insertAuditEvent(db, e);
  const list = async (f: Parameters<typeof listAuditEvents>[1]) => ids((await listAuditEvents(db, f, NEWEST, 1, 50)).rows);
  t.same(await list({}), ids([d, c, b, a]));
  t.same(await list({ actorType: ["AGENT", "SYSTEM"] }), ids([c, a]));
  t.same(await list({ targetId: ["agt_1"], actorType: ["SYSTEM"] }), ids([c]));
  t.same(await list({ result: ["FAILURE"] }), ids([b]));
  t.same(await list({ from: b.createdAt, to: c.createdAt }), ids([c, b]), "both bounds inclusive");
  t.same(await list({ q: "100%" }), ids([b]), "% is literal");
  t.same(await list({ q: "agt_1" }), ids([c, a]), "search covers target and actor ids");
  const page = await listAuditEvents(db, {}, [{ field: "createdAt", desc: false }], 2, 3);
  t.same([ids(page.rows), page.total], [ids([d]), 4]);
});

t.test("export batches: keyset pages cover every row once, in both directions, ties broken by id", async (t) => {
  const db = await fileDb(t);
  const same = at(500);
  const rows = [event(), event({ createdAt: same }), event({ createdAt: same }), event({ createdAt: same }), event()];
  for (const r of rows) await insertAuditEvent(db, r);
  for (const desc of [false, true]) {
    const seen: string[] = [];
    let after: { createdAt: string; id: string } | null = null;
    for (;;) {
      const batch = await auditBatch(db, {}, desc, after, 2);
      if (!batch.length) break;
      seen.push(...ids(batch));
      const last = batch[batch.length - 1]!;
      after = { createdAt: last.createdAt, id: last.id };
    }
    const want = [...rows].sort((x, y) => x.createdAt.localeCompare(y.createdAt) || x.id.localeCompare(y.id)).map((r) => r.id);
    t.same(seen, desc ? want.reverse() : want, desc ? "newest first" : "oldest first");
  }
  t.same(ids(await auditBatch(db, { result: ["FAILURE"] }, false, null, 10)), [], "filters apply to batches");
});

t.test("recent, retention batches and the operational action counts", async (t) => {
  const db = await fileDb(t);
  const rows = [
    event({ action: "command.dispatched" }), event({ action: "command.dispatched" }), event({ action: "command.completed" }),
    event({ action: "command.failed" }), event({ action: "user.created" }), event({ action: "service.action.prepared" }),
  ];
  for (const r of rows) await insertAuditEvent(db, r);
  t.same(ids(await recentAuditEvents(db, 2)), ids([rows[5]!, rows[4]!]));
  t.same(await countAuditActions(db), { "command.dispatched": 2, "command.completed": 1, "command.failed": 1, "service.action.prepared": 1 }, "only the listed actions");
  t.equal(await deleteAuditEventsBefore(db, rows[3]!.createdAt, 2), 2, "bounded batch");
  t.same(ids((await listAuditEvents(db, {}, [{ field: "createdAt", desc: false }], 1, 10)).rows)[0], rows[2]!.id, "the oldest went first");
  t.equal(await deleteAuditEventsBefore(db, rows[3]!.createdAt, 10), 1, "strictly before the cutoff");
  t.equal((await listAuditEvents(db, {}, NEWEST, 1, 10)).total, 3);
});
