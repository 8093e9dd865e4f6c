// Unchanged health is not a write (src/domain/healthSeen.ts): the SDK sends its service's health with
// every heartbeat; only a change, a refresh due (a third of the stale threshold, at most 60 s) or a
// write by someone else (another node, a report) stores it again. Observed through the counter, the
// service's lastHealthAt and the stored message, on both engines.
import t from "tap";
import { manualClock } from "../commandKit.js";
import { registerTestAgent } from "../fixtures.js";
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
  const service = async () => (await owner.get(`/api/admin/capsule-services/${a.serviceId}`)).body.data as { healthStatus: string; lastHealthAt: string };
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
  clock.advance(41); // past the refresh interval (120 s / 3 = 40 s)
  await beat({ status: "DEGRADED", message: "slower" });
  t.equal(coalesced(), 6, "refresh due: written, so lastHealthAt keeps moving and the service never turns STALE");
  const refreshed = (await service()).lastHealthAt;
  t.ok(Date.parse(refreshed) - Date.parse(beforeRefresh) >= 41_000, `lastHealthAt moved on by the refresh (${beforeRefresh} -> ${refreshed})`);

  // another writer: the service report (what a re-registering SDK sends) stores health too
  clock.advance(1);
  await s.db.run("UPDATE capsule_services SET last_health_at = ? WHERE id = ?", [clock.now().toISOString(), a.serviceId]);
  await beat({ status: "DEGRADED", message: "slower" });
  t.equal(coalesced(), 6, "the stored row is not the one this node wrote: written again");
});

t.test("two nodes: health flapping through both never leaves the other node's value on show", postgresOnly("several nodes share one database"), async (t) => {
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
});
