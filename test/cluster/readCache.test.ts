// Two in-process nodes on one PostgreSQL database: each caches agent token lookups and services'
// health facts (src/readCache.ts). A change on node B reaches node A's caches by NOTIFY at commit, so
// node A refuses a disabled agent at once, not a TTL later, and writes a health that changed back; a
// listener reconnect (a notification may have been missed) forgets everything.
import t from "tap";
import { markOfflineAgents } from "../../src/domain/agents.js";
import { startTestServer, sleep } from "../helpers.js";
import { registerTestAgent } from "../fixtures.js";
import { onPostgres } from "../testDb.js";

t.setTimeout(240_000);
const pgOnly = onPostgres ? {} : { skip: "PostgreSQL only: on SQLite one process owns the database, so no other node caches anything" };

/** Polls until node A answers the agent's heartbeat with `status`, up to 5 s (a NOTIFY is milliseconds). */
async function heartbeatUntil(post: () => Promise<{ status: number; body: any }>, status: number) {
  for (let i = 0; i < 100; i++) {
    const r = await post();
    if (r.status === status) return { ...r, tries: i + 1 };
    await sleep(50);
  }
  return { ...(await post()), tries: 101 };
}

t.test("an agent disabled on node B is refused by node A, which had its token cached, and accepted again when enabled", pgOnly, async (t) => {
  const a = await startTestServer(t);
  const b = await startTestServer(t, { sameDatabaseAs: a });
  const agent = await registerTestAgent(a, { code: "moving" });
  const hb = () => agent.agent.post(`/api/agents/${agent.agentId}/heartbeat`, {});
  t.equal((await hb()).status, 200);
  t.equal(a.app.runtime.agentTokens.size, 1, "node A cached the ONLINE agent's token lookup");
  const opB = await b.loginAs("operator", "operator-b");
  t.equal((await opB.post(`/api/admin/agents/${agent.agentId}/disable`, {})).status, 200);
  const refused = await heartbeatUntil(hb, 403);
  t.equal(refused.body.error.code, "AGENT_DISABLED");
  t.ok(refused.tries <= 20, `refused within a second of the commit (attempt ${refused.tries}), not after the 60 s TTL`);
  t.equal((await opB.post(`/api/admin/agents/${agent.agentId}/enable`, {})).status, 200);
  t.equal((await heartbeatUntil(hb, 200)).tries <= 20, true, "enabled on node B: node A accepts it again at once (its cached DISABLED forgotten)");
});

t.test("the sweep on node B marks a cached agent OFFLINE; its next heartbeat on node A brings it back ONLINE", pgOnly, async (t) => {
  const clock = { now: Date.parse("2026-05-01T12:00:00.000Z") };
  const env = { CAPSTAN_HEARTBEAT_INTERVAL_SECONDS: "5", CAPSTAN_AGENT_OFFLINE_THRESHOLD_SECONDS: "20" };
  const a = await startTestServer(t, { env, now: () => new Date(clock.now) });
  const b = await startTestServer(t, { env, now: () => new Date(clock.now), sameDatabaseAs: a });
  const agent = await registerTestAgent(a, { code: "dozing" });
  t.equal((await agent.agent.post(`/api/agents/${agent.agentId}/heartbeat`, {})).status, 200);
  t.equal(a.app.runtime.agentTokens.size, 1);
  clock.now += 30_000;
  t.equal(await markOfflineAgents(b.app, 10), 1, "node B's sweep marked it OFFLINE");
  for (let i = 0; i < 100 && a.app.runtime.agentTokens.size > 0; i++) await sleep(20);
  t.equal(a.app.runtime.agentTokens.size, 0, "node A forgot it on B's NOTIFY");
  t.equal((await agent.agent.post(`/api/agents/${agent.agentId}/heartbeat`, {})).status, 200);
  const row = await a.db.get<{ status: string }>(`SELECT status FROM agents WHERE id = ?`, [agent.agentId]);
  t.equal(row?.status, "ONLINE", "the heartbeat saw the stored OFFLINE and made the agent ONLINE again");
});

t.test("a wake-up listener reconnect forgets every cached lookup", pgOnly, async (t) => {
  const a = await startTestServer(t);
  const agent = await registerTestAgent(a, { code: "reconnecting" });
  t.equal((await agent.agent.post(`/api/agents/${agent.agentId}/heartbeat`, {})).status, 200);
  t.equal(a.app.runtime.agentTokens.size, 1);
  const reconnects = a.app.runtime.counters.wakeupReconnects;
  // end the listener's connection from the server side, as a PostgreSQL restart or a network cut would
  await a.db.run(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid() AND datname = current_database()`);
  for (let i = 0; i < 200 && a.app.runtime.counters.wakeupReconnects === reconnects; i++) await sleep(50);
  t.ok(a.app.runtime.counters.wakeupReconnects > reconnects, "the listener reconnected");
  t.equal(a.app.runtime.agentTokens.size, 0, "and the cache was cleared");
});

t.test("health alternating between nodes: a change written on node B makes node A write the change back", pgOnly, async (t) => {
  const a = await startTestServer(t);
  const b = await startTestServer(t, { sameDatabaseAs: a });
  const agent = await registerTestAgent(a, { code: "balanced" });
  const body = (status: string) => JSON.stringify({ serviceId: agent.serviceId, health: { status, message: status } });
  const hb = (node: typeof a, status: string) => fetch(`${node.url}/api/agents/${agent.agentId}/heartbeat`, {
    method: "POST", headers: { authorization: `Bearer ${agent.agentToken}`, "content-type": "application/json" }, body: body(status),
  }).then((r) => r.status);
  const stored = async () => (await a.db.get<{ health_status: string }>(`SELECT health_status FROM capsule_services WHERE id = ?`, [agent.serviceId]))!.health_status;
  t.equal(await hb(a, "UP"), 200);
  t.equal(await hb(a, "UP"), 200);
  t.equal(a.app.runtime.serviceHealth.size, 1, "node A cached the service's facts (UP)");
  t.equal(await hb(b, "DOWN"), 200);
  t.equal(await stored(), "DOWN");
  for (let i = 0; i < 100 && a.app.runtime.serviceHealth.size > 0; i++) await sleep(20);
  t.equal(a.app.runtime.serviceHealth.size, 0, "node A forgot them on B's NOTIFY");
  t.equal(await hb(a, "UP"), 200);
  t.equal(await stored(), "UP", "node A wrote UP again instead of taking it for unchanged");
});
