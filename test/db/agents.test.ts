import t from "tap";
import { loadConfig } from "../../src/config.js";
import type { App } from "../../src/context.js";
import {
  countAgentsByStatus, getAgent, getAgentByCode, insertAgent, listAgents, listAgentsPastCutoff, markAgentOffline,
  recordFirstContacts, reenrolAgent, setAgentStatus, writeContacts, type AgentRow,
} from "../../src/db/agents.js";
import { findAgentToken, insertAgentToken, revokeAgentTokens } from "../../src/db/agentTokens.js";
import { openTestDb, postgresOnly, UNIQUE_VIOLATION } from "../testDb.js";
import type { PostgresDb } from "../../src/db/postgres.js";
import { cutoffs, effectiveAgentStatus } from "../../src/domain/status.js";
import { newId } from "../../src/ids.js";
import { AGENT_STATUSES } from "../../src/vocabulary.js";

const T0 = Date.parse("2026-05-01T12:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
/** One agent's first contact at second `s`, in a transaction of its own; its sample window starts 300 s before. */
const contact = (db: Awaited<ReturnType<typeof openTestDb>>, id: string, s: number, windowStart = s - 300) =>
  db.transaction(() => recordFirstContacts(db, [{ id, nowIso: at(s), windowStartIso: at(windowStart) }]));
const appAt = (s: number) => ({ now: () => new Date(T0 + s * 1000), config: loadConfig({}) }) as unknown as App;

const agent = (code: string, over: Partial<AgentRow> = {}): AgentRow => ({
  id: newId("agt"), code, name: code.toUpperCase(), mode: "embedded", runtime: "nodejs", version: "1", hostname: "h", os: "linux", arch: "x64",
  status: "PENDING", lastHeartbeatAt: null, registeredAt: at(0), createdAt: at(0), updatedAt: at(0), ...over,
});

t.test("insert, get by id and code, re-enrol, status", async (t) => {
  const db = await openTestDb(t);
  const a = agent("a1");
  await insertAgent(db, a);
  t.same(await getAgent(db, a.id), a);
  t.same(await getAgentByCode(db, "a1"), a);
  t.equal(await getAgent(db, "agt_missing"), undefined);
  await reenrolAgent(db, a.id, { name: "New", mode: "embedded", runtime: null, version: "2", hostname: "h2", os: null, arch: null }, "DISABLED", at(5));
  t.match(await getAgent(db, a.id), { name: "New", version: "2", hostname: "h2", runtime: null, status: "DISABLED", registeredAt: at(5), createdAt: at(0) });
  await setAgentStatus(db, a.id, "REVOKED", at(6));
  t.equal((await getAgent(db, a.id))!.status, "REVOKED");
  await t.rejects(() => insertAgent(db, agent("a1")), { code: UNIQUE_VIOLATION });
});

t.test("buffered contacts: written in chunks, each agent its own time, never backwards", async (t) => {
  const db = await openTestDb(t);
  const agents = Array.from({ length: 600 }, (_, i) => agent(`c${i}`)); // more than one chunk (512), the last one padded
  for (const a of agents) await insertAgent(db, a);
  await contact(db, agents[7]!.id, 500); // a newer contact written directly (another node)
  await writeContacts(db, agents.map((a, i) => [a.id, at(100 + i)]));
  for (const [i, a] of agents.entries()) {
    const want = i === 7 ? at(500) : at(100 + i);
    if ((await getAgent(db, a.id))!.lastHeartbeatAt !== want) t.fail(`agent ${i}: ${(await getAgent(db, a.id))!.lastHeartbeatAt} != ${want}`);
  }
  t.equal((await getAgent(db, agents[599]!.id))!.lastHeartbeatAt, at(699), "the last agent of the padded chunk");
  t.equal((await getAgent(db, agents[7]!.id))!.lastHeartbeatAt, at(500), "an older buffered time does not overwrite a newer one");
  await writeContacts(db, [[agents[0]!.id, at(900)]]);
  t.equal((await getAgent(db, agents[0]!.id))!.lastHeartbeatAt, at(900), "a single contact");
  await writeContacts(db, []);
});

t.test("PostgreSQL: a contact flush leaves out a row another transaction holds instead of waiting for it", postgresOnly("row locks; SQLite serialises writers"), async (t) => {
  const db = (await openTestDb(t)) as PostgresDb;
  const [free, held] = [agent("lock-free"), agent("lock-held")];
  for (const a of [free, held]) await insertAgent(db, a);
  const holder = await db.pool.connect(); // another transaction, as a first contact's on a busy node
  await holder.query("BEGIN");
  await holder.query("SELECT 1 FROM agents WHERE id = $1 FOR UPDATE", [held.id]);
  try {
    const waited = await Promise.race([
      writeContacts(db, [[free.id, at(100)], [held.id, at(100)]]).then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), 3000).unref()),
    ]);
    t.equal(waited, false, "the flush did not wait for the held row");
    t.equal((await getAgent(db, free.id))!.lastHeartbeatAt, at(100), "the free row is written");
    t.equal((await getAgent(db, held.id))!.lastHeartbeatAt, null, "the held row is left out");
  } finally {
    await holder.query("ROLLBACK");
    holder.release();
  }
  await writeContacts(db, [[held.id, at(101)]]);
  t.equal((await getAgent(db, held.id))!.lastHeartbeatAt, at(101), "once free, its next contact is written");
});

t.test("first contacts: contact time, transition and the heartbeat audit sample", async (t) => {
  const db = await openTestDb(t);
  const a = agent("a1");
  await insertAgent(db, a);
  let w = await contact(db, a.id, 1);
  t.same([w.before.get(a.id)!.status, w.wentOnline.has(a.id), w.claimed.has(a.id)], ["PENDING", true, true], "PENDING -> ONLINE, the sample claimed");
  w = await contact(db, a.id, 2);
  t.same([w.before.get(a.id)!.status, w.wentOnline.has(a.id), w.claimed.has(a.id)], ["ONLINE", false, false], "already ONLINE, inside the window");
  t.equal((await getAgent(db, a.id))!.lastHeartbeatAt, at(2));
  t.equal((await getAgent(db, a.id))!.updatedAt, at(1), "status written only on the transition");
  await contact(db, a.id, 0);
  t.equal((await getAgent(db, a.id))!.lastHeartbeatAt, at(2), "an older contact time does not overwrite a newer one");
  t.equal((await contact(db, a.id, 303, 1)).claimed.has(a.id), true, "window passed: claimed again");
  await setAgentStatus(db, a.id, "DISABLED", at(4));
  w = await contact(db, a.id, 305);
  t.equal(w.wentOnline.has(a.id), false, "DISABLED is not lifted by contact");
  t.equal((await getAgent(db, a.id))!.status, "DISABLED");
  t.equal((await contact(db, "agt_missing", 306)).before.size, 0, "no such agent: nothing found, nothing written");
});

t.test("first contacts of a batch: four statements whatever its size; an agent listed twice is written once", async (t) => {
  const db = await openTestDb(t);
  const agents = Array.from({ length: 50 }, (_, i) => agent(`b${i}`, i % 2 ? { status: "OFFLINE", lastHeartbeatAt: at(-1000) } : {}));
  for (const a of agents) await insertAgent(db, a);
  await setAgentStatus(db, agents[4]!.id, "REVOKED", at(0));
  const statements: string[] = [];
  for (const m of ["get", "all", "run"] as const) {
    const original = db[m].bind(db) as (sql: string, params?: unknown[]) => Promise<unknown>;
    (db as unknown as Record<string, unknown>)[m] = (sql: string, params?: unknown[]) => {
      statements.push(sql);
      return original(sql, params);
    };
  }
  const batch = [...agents.map((a) => ({ id: a.id, nowIso: at(10), windowStartIso: at(-290) })), { id: agents[0]!.id, nowIso: at(11), windowStartIso: at(-289) }, { id: "agt_missing", nowIso: at(10), windowStartIso: at(-290) }];
  const w = await db.transaction(() => recordFirstContacts(db, batch));
  t.equal(statements.filter((sql) => /\bagents\b/.test(sql)).length, 4, `statements on agents: ${statements.length}`);
  t.equal(w.before.size, 50, "every existing agent found, the missing one not");
  t.equal(w.wentOnline.size, 49, "PENDING and OFFLINE went ONLINE, the REVOKED one did not");
  t.equal(w.before.get(agents[1]!.id)!.status, "OFFLINE", "the status before the batch is returned");
  t.equal(w.claimed.size, 50, "one sample claimed per agent, the agent listed twice included once");
  for (const a of agents) {
    const row = (await getAgent(db, a.id))!;
    if (row.status !== (a === agents[4] ? "REVOKED" : "ONLINE")) t.fail(`${a.code}: ${row.status}`);
  }
  t.ok([at(10), at(11)].includes((await getAgent(db, agents[0]!.id))!.lastHeartbeatAt!), "the agent listed twice has one of its contact times");
});

t.test("effective status: SQL CASE and TypeScript agree on every case", async (t) => {
  const db = await openTestDb(t);
  // now = 200 s; offline threshold 90 s -> cutoff at 110 s
  const rows = [
    agent("fresh-pending", { registeredAt: at(150) }),
    agent("old-pending", { registeredAt: at(10) }),
    agent("online", { status: "ONLINE", lastHeartbeatAt: at(190) }),
    agent("silent", { status: "ONLINE", lastHeartbeatAt: at(100) }),
    agent("stored-offline-back", { status: "OFFLINE", lastHeartbeatAt: at(150) }),
    agent("reenrolled", { status: "PENDING", lastHeartbeatAt: at(50), registeredAt: at(180) }),
    agent("disabled", { status: "DISABLED", lastHeartbeatAt: at(199) }),
    agent("revoked", { status: "REVOKED", lastHeartbeatAt: at(199) }),
  ];
  for (const r of rows) await insertAgent(db, r);
  const app = appAt(200);
  const expected: Record<string, string> = {
    "fresh-pending": "PENDING", "old-pending": "OFFLINE", online: "ONLINE", silent: "OFFLINE", "stored-offline-back": "ONLINE",
    reenrolled: "PENDING", disabled: "DISABLED", revoked: "REVOKED",
  };
  const cutoff = cutoffs(app).offlineBefore;
  for (const status of AGENT_STATUSES) {
    const viaSql = (await listAgents(db, { status: [status] }, cutoff, [{ field: "name", desc: false }], 1, 100)).rows.map((r) => r.code).sort();
    const viaTs = rows.filter((r) => effectiveAgentStatus(app, r).status === status).map((r) => r.code).sort();
    t.same(viaSql, viaTs, status);
    t.same(viaTs, Object.keys(expected).filter((k) => expected[k] === status).sort(), `${status} as designed`);
  }
  t.same(await countAgentsByStatus(db, cutoff), { PENDING: 2, ONLINE: 2, OFFLINE: 2, DISABLED: 1, REVOKED: 1 });
});

t.test("list: search, sort whitelist, pagination", async (t) => {
  const db = await openTestDb(t);
  await insertAgent(db, agent("b-agent", { createdAt: at(1), lastHeartbeatAt: at(9) }));
  await insertAgent(db, agent("a-agent", { createdAt: at(2), lastHeartbeatAt: at(5) }));
  await insertAgent(db, agent("c_x", { createdAt: at(3) }));
  const cutoff = at(-1000);
  const codes = async (f: object, sort: { field: string; desc: boolean }[], page = 1, size = 10) =>
    (await listAgents(db, f, cutoff, sort, page, size)).rows.map((r) => r.code);
  t.same(await codes({}, [{ field: "createdAt", desc: true }]), ["c_x", "a-agent", "b-agent"]);
  t.same(await codes({}, [{ field: "name", desc: false }]), ["a-agent", "b-agent", "c_x"]);
  t.same(await codes({}, [{ field: "lastSeenAt", desc: true }]), ["b-agent", "a-agent", "c_x"]);
  t.same(await codes({ q: "_" }, [{ field: "name", desc: false }]), ["c_x"], "_ matches literally");
  t.same(await codes({}, [{ field: "name", desc: false }], 2, 2), ["c_x"]);
  t.equal((await listAgents(db, {}, cutoff, [], 2, 2)).total, 3);
  await t.rejects(() => listAgents(db, {}, cutoff, [{ field: "status", desc: false }], 1, 10), /not whitelisted/);
});

t.test("offline sweep candidates and the guarded write", async (t) => {
  const db = await openTestDb(t);
  const silent = agent("silent", { status: "ONLINE", lastHeartbeatAt: at(10) });
  const never = agent("never", { registeredAt: at(5) });
  const live = agent("live", { status: "ONLINE", lastHeartbeatAt: at(150) });
  const disabled = agent("disabled", { status: "DISABLED", lastHeartbeatAt: at(1) });
  for (const r of [silent, never, live, disabled]) await insertAgent(db, r);
  const cutoff = at(110);
  t.same((await listAgentsPastCutoff(db, cutoff, 10)).map((r) => r.code).sort(), ["never", "silent"]);
  t.same((await listAgentsPastCutoff(db, cutoff, 1)).length, 1, "batch-bounded");
  await contact(db, silent.id, 199); // a heartbeat races the sweep
  t.equal(await markAgentOffline(db, silent.id, cutoff, at(200)), false, "the heartbeat wins");
  t.equal(await markAgentOffline(db, never.id, cutoff, at(200)), true);
  t.equal((await getAgent(db, never.id))!.status, "OFFLINE");
});

t.test("agent tokens: issue, look up, revoke all", async (t) => {
  const db = await openTestDb(t);
  const a = agent("a1");
  await insertAgent(db, a);
  await insertAgentToken(db, newId("atk"), a.id, "hash-1", at(0));
  await insertAgentToken(db, newId("atk"), a.id, "hash-2", at(1));
  t.match(await findAgentToken(db, "hash-1"), { tokenStatus: "ACTIVE", agentId: a.id, agentCode: "a1", agentStatus: "PENDING" });
  t.equal(await revokeAgentTokens(db, a.id, at(2)), 2);
  t.equal(await revokeAgentTokens(db, a.id, at(3)), 0);
  t.equal((await findAgentToken(db, "hash-2"))!.tokenStatus, "REVOKED");
  t.equal(await findAgentToken(db, "nope"), undefined);
});
