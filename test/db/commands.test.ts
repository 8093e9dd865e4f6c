import t from "tap";
import type { Db } from "../../src/db/open.js";
import { openTestDb } from "../testDb.js";
import {
  cancelCommand, claimCommand, claimableCommandIds, expiredCommands, finishCommand, getCommand, insertCommand, listCommands,
  setCommandProgress, type NewCommand,
} from "../../src/db/commands.js";
import { getCommandResult, insertCommandResult } from "../../src/db/commandResults.js";
import { appendCommandLogs, listCommandLogs } from "../../src/db/commandLogs.js";
import { newId } from "../../src/ids.js";

const T0 = "2026-05-01T12:00:00.000Z";
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();

async function seed(): Promise<{ db: Db; agentId: string; serviceId: string }> {
  const db = await openTestDb(t);
  const agentId = newId("agt");
  const serviceId = newId("svc");
  await db.run(`INSERT INTO agents (id, code, registered_at, created_at, updated_at) VALUES (?, 'a1', ?, ?, ?)`, [agentId, T0, T0, T0]);
  await db.run(`INSERT INTO capsule_services (id, agent_id, code, name, created_at, updated_at) VALUES (?, ?, 's1', 'S1', ?, ?)`, [serviceId, agentId, T0, T0]);
  return { db, agentId, serviceId };
}

function cmd(agentId: string, serviceId: string, over: Partial<NewCommand> = {}): NewCommand {
  return {
    id: newId("cmd"), agentId, serviceId, type: "ACTION_EXECUTE", actionName: "echo", payload: { a: 1 }, secretFields: null,
    createdByUserId: null, createdByType: "USER", retryOf: null, sourceEventId: null, timeoutSeconds: null,
    createdAt: T0, expiresAt: at(300), ...over,
  };
}

t.test("insert, get and the poll claim", async (t) => {
  const { db, agentId, serviceId } = await seed();
  const a = cmd(agentId, serviceId, { createdAt: at(1), secretFields: ["/pw"] });
  const b = cmd(agentId, serviceId, { createdAt: at(2) });
  const old = cmd(agentId, serviceId, { createdAt: at(0), expiresAt: at(5) });
  for (const c of [a, b, old]) await insertCommand(db, c);
  const got = (await getCommand(db, a.id))!;
  t.equal(got.status, "PENDING");
  t.same(got.payload, { a: 1 });
  t.same(got.secretFields, ["/pw"]);
  t.equal((await getCommand(db, b.id))!.secretFields, null, "no secret fields stored as NULL");
  t.equal(await getCommand(db, "cmd_nope"), undefined);

  t.same(await claimableCommandIds(db, agentId, at(10), 10), [a.id, b.id], "oldest first, expired excluded");
  t.same(await claimableCommandIds(db, agentId, at(10), 1), [a.id], "limit applies");
  t.equal(await claimCommand(db, a.id, at(10), at(370)), true);
  t.equal(await claimCommand(db, a.id, at(11), at(371)), false, "a second claim of the same row fails");
  const running = (await getCommand(db, a.id))!;
  t.equal(running.status, "RUNNING");
  t.equal(running.startedAt, at(10));
  t.equal(running.expiresAt, at(370), "running deadline replaces the pending one");
  t.same(await claimableCommandIds(db, agentId, at(10), 10), [b.id]);
});

t.test("terminal transitions are guarded by the status the caller saw", async (t) => {
  const { db, agentId, serviceId } = await seed();
  const c = cmd(agentId, serviceId);
  await insertCommand(db, c);
  t.equal(await finishCommand(db, c.id, "RUNNING", "SUCCEEDED", at(5)), false, "not RUNNING yet");
  await claimCommand(db, c.id, at(1), at(100));
  t.equal(await finishCommand(db, c.id, "RUNNING", "FAILED", at(5), { code: "BOOM", message: "it broke" }), true);
  const f = (await getCommand(db, c.id))!;
  t.equal(f.status, "FAILED");
  t.equal(f.errorCode, "BOOM");
  t.equal(f.errorMessage, "it broke");
  t.equal(f.completedAt, at(5));
  t.equal(await cancelCommand(db, c.id, "RUNNING", at(6)), false, "cannot cancel a terminal command");

  const p = cmd(agentId, serviceId);
  await insertCommand(db, p);
  t.equal(await cancelCommand(db, p.id, "PENDING", at(7)), true);
  const cancelled = (await getCommand(db, p.id))!;
  t.equal(cancelled.status, "CANCELLED");
  t.equal(cancelled.cancelRequestedAt, at(7));
  t.equal(cancelled.completedAt, at(7));
});

t.test("progress keeps the previous value for an omitted field", async (t) => {
  const { db, agentId, serviceId } = await seed();
  const c = cmd(agentId, serviceId);
  await insertCommand(db, c);
  await setCommandProgress(db, c.id, 10, "starting");
  await setCommandProgress(db, c.id, 50, null);
  const r = (await getCommand(db, c.id))!;
  t.equal(r.progressPercent, 50);
  t.equal(r.progressMessage, "starting");
});

t.test("expiry candidates: PENDING and RUNNING past their deadline, bounded", async (t) => {
  const { db, agentId, serviceId } = await seed();
  const due1 = cmd(agentId, serviceId, { expiresAt: at(10) });
  const due2 = cmd(agentId, serviceId, { expiresAt: at(20) });
  const later = cmd(agentId, serviceId, { expiresAt: at(100) });
  const done = cmd(agentId, serviceId, { expiresAt: at(5) });
  for (const c of [due1, due2, later, done]) await insertCommand(db, c);
  await claimCommand(db, due2.id, at(1), at(20));
  await cancelCommand(db, done.id, "PENDING", at(2));
  t.same((await expiredCommands(db, at(50), 10)).map((c) => c.id), [due1.id, due2.id]);
  t.same((await expiredCommands(db, at(50), 1)).map((c) => c.id), [due1.id]);
});

t.test("list filters (OR within a key, AND across keys) and whitelisted sort", async (t) => {
  const { db, agentId, serviceId } = await seed();
  const a = cmd(agentId, serviceId, { createdAt: at(1) });
  const b = cmd(agentId, serviceId, { createdAt: at(2), type: "ACTION_PREPARE", actionName: "other" });
  const c = cmd(agentId, serviceId, { createdAt: at(3) });
  for (const x of [a, b, c]) await insertCommand(db, x);
  await claimCommand(db, c.id, at(4), at(100));
  await finishCommand(db, c.id, "RUNNING", "SUCCEEDED", at(9));
  await claimCommand(db, a.id, at(4), at(100));
  await finishCommand(db, a.id, "RUNNING", "SUCCEEDED", at(5));

  const all = await listCommands(db, {}, [{ field: "createdAt", desc: true }], 1, 20);
  t.equal(all.total, 3);
  t.same(all.rows.map((r) => r.id), [c.id, b.id, a.id]);
  t.same((await listCommands(db, { type: ["ACTION_EXECUTE"] }, [{ field: "createdAt", desc: false }], 1, 20)).rows.map((r) => r.id), [a.id, c.id]);
  t.equal((await listCommands(db, { status: ["PENDING", "SUCCEEDED"] }, [], 1, 20)).total, 3);
  t.equal((await listCommands(db, { status: ["SUCCEEDED"], actionName: ["other"] }, [], 1, 20)).total, 0);
  t.equal((await listCommands(db, { from: at(2), to: at(3) }, [], 1, 20)).total, 2);
  t.same((await listCommands(db, { status: ["SUCCEEDED"] }, [{ field: "finishedAt", desc: true }], 1, 20)).rows.map((r) => r.id), [c.id, a.id]);
  const paged = await listCommands(db, {}, [{ field: "createdAt", desc: false }], 2, 2);
  t.equal(paged.total, 3);
  t.same(paged.rows.map((r) => r.id), [c.id]);
  await t.rejects(() => listCommands(db, {}, [{ field: "payload", desc: false }], 1, 20), "non-whitelisted sort refused");
});

t.test("one result per command", async (t) => {
  const { db, agentId, serviceId } = await seed();
  const c = cmd(agentId, serviceId);
  await insertCommand(db, c);
  t.equal(await getCommandResult(db, c.id), undefined);
  const row = {
    id: newId("crs"), commandId: c.id, success: true, message: "done", data: { n: 1 }, error: null,
    startedAt: at(1), finishedAt: at(2), reportedAt: at(3), metrics: { attempts: 2, durationMs: 12.5, cpuUserMs: 3, cpuSystemMs: 0.5, peakHeapMb: 7.1 },
  };
  await insertCommandResult(db, row);
  t.same(await getCommandResult(db, c.id), row, "metrics round-trip (migration 008)");
  await t.rejects(() => insertCommandResult(db, { ...row, id: newId("crs") }), "second result violates UNIQUE");
});

t.test("logs are bounded by lines and bytes, oldest dropped", async (t) => {
  const { db, agentId, serviceId } = await seed();
  const c = cmd(agentId, serviceId);
  await insertCommand(db, c);
  const lines = (n: number, from: number, size = 1) =>
    Array.from({ length: n }, (_, i) => ({ at: T0, level: "info", message: `${from + i}:`.padEnd(size, "x") }));
  t.same(await appendCommandLogs(db, c.id, lines(8, 0), { maxLines: 10, maxBytes: 1000 }), { dropped: 0 });
  t.same(await appendCommandLogs(db, c.id, lines(5, 8), { maxLines: 10, maxBytes: 1000 }), { dropped: 3 });
  let logs = await listCommandLogs(db, c.id, 0, 100);
  t.equal(logs.length, 10);
  t.equal(logs[0]!.message, "3:", "oldest three dropped");
  t.equal((await getCommand(db, c.id))!.logCount, 10);

  await appendCommandLogs(db, c.id, lines(2, 100, 400), { maxLines: 10, maxBytes: 1000 });
  logs = await listCommandLogs(db, c.id, 0, 100);
  const row = (await getCommand(db, c.id))!;
  t.ok(row.logBytes <= 1000, "within the byte bound");
  t.equal(row.logCount, logs.length);
  t.equal(row.logBytes, logs.reduce((n, l) => n + Buffer.byteLength(l.message), 0), "byte total matches the rows");
  t.equal(logs.at(-1)!.message.slice(0, 4), "101:");
  const tail = await listCommandLogs(db, c.id, logs.at(-2)!.id, 100);
  t.equal(tail.length, 1, "afterId reads only newer lines");
  t.same(await appendCommandLogs(db, "cmd_missing", lines(1, 0), { maxLines: 10, maxBytes: 1000 }), { dropped: 0 });
});
