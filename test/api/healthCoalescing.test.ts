// Unchanged health is not a write (src/domain/healthSeen.ts): the SDK sends its service's health with
// every heartbeat; only a change from the stored health (whoever stored it: a report, another node)
// stores it again, and a refresh due (a third of the stale threshold, at most 60 s) moves its time with
// the batched contact flush. Observed through the counter, the service's lastHealthAt, its report's
// time and the stored status, on both engines.
import t from "tap";
import { manualClock } from "../commandKit.js";
import { registerTestAgent, reportedService } from "../fixtures.js";
import { startTestServer } from "../helpers.js";
import { postgresOnly } from "../testDb.js";

const SDK_HEALTH = { status: "UP", message: "process alive (no health check registered)" };

t.test("an unchanged health is coalesced; a change, a refresh or another writer stores it", async (t) => {
  const clock = manualClock();
  const s = await startTestServer(t, { now: clock.now, env: { CAPSTAN_HEALTH_STALE_THRESHOLD_SECONDS: "120" } });
  const a = await registerTestAgent(s);
  const owner = await s.loginAs("owner");
  const beat = async (health: object) => {
    const r = await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, { serviceId: a.serviceId, health });
    t.equal(r.status, 200, r.text);
  };
  const service = async () => (await owner.get(`/api/admin/capsule-services/${a.serviceId}`)).body.data as
    { healthStatus: string; lastHealthAt: string; health: { reportedAt: string } };
  const coalesced = () => s.app.runtime.counters.healthWritesCoalesced;

  await beat(SDK_HEALTH);
  const first = (await service()).lastHealthAt;
  t.equal(coalesced(), 0, "the first health is written");
  clock.advance(10);
  for (let i = 0; i < 5; i++) await beat(SDK_HEALTH);
  t.equal(coalesced(), 5, "five identical heartbeats: no write");
  t.equal((await service()).lastHealthAt, first, "lastHealthAt unchanged by them");

  await beat({ ...SDK_HEALTH, details: { queue: 3 } });
  t.equal(coalesced(), 5, "changed details: written at once");
  await beat({ status: "DEGRADED", message: "slow" });
  t.equal(coalesced(), 5, "changed status: written at once");
  t.equal((await service()).healthStatus, "DEGRADED");
  await beat({ status: "DEGRADED", message: "slower" });
  t.equal(coalesced(), 5, "changed message: written at once");
  await beat({ status: "DEGRADED", message: "slower" });
  t.equal(coalesced(), 6, "the same again: coalesced");

  const beforeRefresh = (await service()).lastHealthAt;
  clock.advance(41); // past the refresh interval (120 s / 3 = 40 s), within the stale threshold (120 s)
  await beat({ status: "DEGRADED", message: "slower" });
  t.equal(coalesced(), 7, "refresh due: not a write transaction, batched with the contacts");
  const refreshed = await service(); // an admin read flushes the batch first
  t.ok(Date.parse(refreshed.lastHealthAt) - Date.parse(beforeRefresh) >= 41_000, `lastHealthAt moved on by the refresh (${beforeRefresh} -> ${refreshed.lastHealthAt})`);
  t.equal(refreshed.health.reportedAt, refreshed.lastHealthAt, "and the report's time with it");
  t.equal(refreshed.healthStatus, "DEGRADED");
  // the flush cached what it wrote: the next heartbeat reads nothing and is not another refresh
  const reads: string[] = [];
  const get = s.app.db.get.bind(s.app.db);
  s.app.db.get = ((sql: string, params?: unknown[]) => (reads.push(sql), get(sql, params as never))) as typeof s.app.db.get;
  clock.advance(1);
  await beat({ status: "DEGRADED", message: "slower" });
  s.app.db.get = get;
  t.equal(coalesced(), 8, "coalesced");
  t.equal(s.app.runtime.healthRefreshes.size, 0, "not another refresh: the cached time is the refreshed one");
  t.same(reads.filter((q) => /FROM capsule_services/.test(q)), [], "the service's health facts were not read again");

  clock.advance(121); // silent past the stale threshold: the same health comes back as a write, at once
  await beat({ status: "DEGRADED", message: "slower" });
  t.equal(coalesced(), 8, "a stale service's health is written, not refreshed");

  // another writer: the service report (what a re-registering SDK sends) stores a different health
  clock.advance(1);
  const report = await a.agent.post(`/api/agents/${a.agentId}/services/report`, { services: [reportedService(a.serviceCode, { health: { status: "UP" } })] });
  t.equal(report.status, 200, report.text);
  t.equal((await service()).healthStatus, "UP");
  await beat({ status: "DEGRADED", message: "slower" });
  t.equal(coalesced(), 8, "differs from what the report stored: written again");
  t.equal((await service()).healthStatus, "DEGRADED");
});

t.test("two nodes: flapping health never leaves the other node's value on show; the same health through both is not a write", postgresOnly("several nodes share one database"), async (t) => {
  const a = await startTestServer(t);
  const b = await startTestServer(t, { sameDatabaseAs: a });
  const agent = await registerTestAgent(a);
  const viaB = b.clientWith({ token: agent.agentToken });
  const beat = async (c: typeof viaB, health: object) =>
    t.equal((await c.post(`/api/agents/${agent.agentId}/heartbeat`, { serviceId: agent.serviceId, health })).status, 200);
  const owner = await a.loginAs("owner");
  const shown = async () => ((await owner.get(`/api/admin/capsule-services/${agent.serviceId}`)).body.data as { healthStatus: string }).healthStatus;
  await beat(agent.agent, { status: "UP" });            // node A writes UP
  await beat(viaB, { status: "DOWN" });                  // node B writes DOWN
  t.equal(await shown(), "DOWN");
  await beat(agent.agent, { status: "UP" });            // node A: UP again, same as its own last write
  t.equal(await shown(), "UP", "node A noticed node B wrote since and stored UP, not coalesced");
  // a non-sticky load balancer: the same health alternating between the nodes is not a write on either
  const [ca, cb] = [a.app.runtime.counters.healthWritesCoalesced, b.app.runtime.counters.healthWritesCoalesced];
  for (let i = 0; i < 3; i++) {
    await beat(viaB, { status: "UP" });
    await beat(agent.agent, { status: "UP" });
  }
  t.equal(a.app.runtime.counters.healthWritesCoalesced - ca, 3, "node A coalesced the health both nodes share");
  t.equal(b.app.runtime.counters.healthWritesCoalesced - cb, 3, "node B coalesced the health node A stored");
});

t.test("a node meeting an ONLINE agent for the first time coalesces its contact (no write transaction)", postgresOnly("several nodes share one database"), async (t) => {
  const a = await startTestServer(t);
  const b = await startTestServer(t, { sameDatabaseAs: a });
  const agent = await registerTestAgent(a);
  t.equal((await agent.agent.post(`/api/agents/${agent.agentId}/heartbeat`, {})).status, 200); // A: ONLINE + the window's audit sample
  t.notOk(b.app.runtime.heartbeatSamples.has(agent.agentId), "node B has not seen the agent");
  const viaB = b.clientWith({ token: agent.agentToken });
  t.equal((await viaB.post(`/api/agents/${agent.agentId}/heartbeat`, {})).status, 200);
  t.ok(b.app.runtime.contacts.has(agent.agentId), "node B buffered the contact (the steady path) instead of writing it in a transaction");
  t.ok(b.app.runtime.heartbeatSamples.has(agent.agentId), "and learned when the sample was written");
  const samples = await a.db.all<{ n: number }>("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'agent.heartbeat.received' AND target_id = ?", [agent.agentId]);
  t.equal(Number(samples[0]!.n), 1, "still one sample in the window");
});
