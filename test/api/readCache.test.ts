// Agent token lookups and services' health facts are cached per node (src/readCache.ts) and forgotten
// wherever they change, so a revoked token, a disabled agent, an agent the sweep marked OFFLINE or a
// health that changed back is seen at the very next request, never a TTL later. Cross-node forgetting
// (PostgreSQL NOTIFY) is in test/cluster/readCache.test.ts.
import t from "tap";
import { ReadCache, readThrough } from "../../src/readCache.js";
import type { AgentTokenLookup } from "../../src/db/agentTokens.js";
import { markOfflineAgents } from "../../src/domain/agents.js";
import { startTestServer, type TestServer } from "../helpers.js";
import { createRegistrationToken, registerTestAgent } from "../fixtures.js";

const auditOf = async (s: TestServer, action: string) => {
  const owner = await s.loginAs("owner");
  return (await owner.get(`/api/admin/audit-events?action=${action}&pageSize=100`)).body.data as any[];
};

t.test("the cache: TTL, size bound, forget by owner, and a read that raced a forget is not kept", async (t) => {
  const row = (agentId: string, tokenId = `atk_${agentId}`): AgentTokenLookup => ({ tokenId, tokenStatus: "ACTIVE", agentId, agentCode: agentId, agentStatus: "ONLINE" });
  const c = new ReadCache<AgentTokenLookup>(1_000, 3);
  c.set("h1", "a", row("a"), 0, c.generation);
  t.same(c.get("h1", 749), row("a"), "kept for at least 3/4 of the TTL (each entry's end is spread up to it)");
  t.equal(c.get("h1", 1_000), undefined, "gone at the TTL");
  t.equal(c.size, 0);

  c.set("h1", "a", row("a"), 0, c.generation);
  c.set("h2", "a", row("a", "atk_2"), 0, c.generation);
  c.set("h3", "b", row("b"), 0, c.generation);
  c.set("h4", "c", row("c"), 0, c.generation);
  t.equal(c.size, 3, "bounded: the oldest went");
  t.equal(c.get("h1", 1), undefined);
  c.forget("a");
  t.equal(c.get("h2", 1), undefined, "forgetting an owner drops every key of it");
  t.same(c.get("h3", 1), row("b"), "other owners stay");

  const seen = c.generation; // a lookup starts reading the database...
  c.forget("b"); // ...a change of its owner commits meanwhile...
  c.set("h5", "b", row("b"), 2, seen); // ...and its possibly old answer is not kept
  t.equal(c.get("h5", 3), undefined);
  c.set("h6", "e", row("e"), 2, seen); // a read of another owner, in flight across that forget, is kept
  t.same(c.get("h6", 3), row("e"), "a forget discards only its own owner's reads in flight");
  const before = c.generation;
  c.clear();
  t.equal(c.size, 0);
  c.set("h7", "f", row("f"), 4, before);
  t.equal(c.get("h7", 5), undefined, "a clear discards every read in flight");

  let reads = 0;
  const read = async () => (++reads, row("d"));
  await readThrough(c, "h6", 10, read, (v) => v.agentId);
  await readThrough(c, "h6", 11, read, (v) => v.agentId);
  t.equal(reads, 1, "read through once, then from the cache");
  t.equal(await readThrough(c, "nobody", 12, async () => undefined, () => "x"), undefined);
  t.equal(c.get("nobody", 13), undefined, "what the database does not have is not kept");
});

t.test("a cached token is refused at once after a re-enrolment revoked it", async (t) => {
  const s = await startTestServer(t);
  const first = await registerTestAgent(s, { code: "cached" });
  t.equal((await first.agent.post(`/api/agents/${first.agentId}/heartbeat`, {})).status, 200);
  t.equal(s.app.runtime.agentTokens.size, 1, "the ONLINE agent's token lookup is cached");
  const bound = await createRegistrationToken(first.operator, { agentCode: "cached" });
  t.equal((await s.anon.post("/api/agents/register", { registrationToken: bound, agent: { code: "cached" } })).status, 200);
  const old = await first.agent.post(`/api/agents/${first.agentId}/heartbeat`, {});
  t.equal(old.status, 401);
  t.equal(old.body.error.code, "AGENT_TOKEN_REVOKED");
});

t.test("after the sweep marks a cached ONLINE agent OFFLINE, its next heartbeat brings it back ONLINE (audited)", async (t) => {
  const clock = { now: Date.parse("2026-05-01T12:00:00.000Z") };
  // a threshold below the cache's 60 s TTL, so the entry is still fresh when the sweep runs
  const env = { CAPSTAN_HEARTBEAT_INTERVAL_SECONDS: "5", CAPSTAN_AGENT_OFFLINE_THRESHOLD_SECONDS: "20" };
  const s = await startTestServer(t, { env, now: () => new Date(clock.now) });
  const a = await registerTestAgent(s, { code: "sleepy" });
  t.equal((await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, {})).status, 200);
  t.equal(s.app.runtime.agentTokens.size, 1, "cached as ONLINE");
  clock.now += 30_000; // past the offline threshold
  t.equal(await markOfflineAgents(s.app, 10), 1);
  t.equal((await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, {})).status, 200);
  const agent = (await a.operator.get(`/api/admin/agents/${a.agentId}`)).body.data;
  t.equal(agent.storedStatus, "ONLINE", "the heartbeat saw the stored OFFLINE, not a cached ONLINE");
  t.equal((await auditOf(s, "agent.online")).length, 1, "the transition back is audited");
});

t.test("a health that changes and changes back is written each time, though the facts were cached", async (t) => {
  const s = await startTestServer(t);
  const a = await registerTestAgent(s, { code: "flappy" });
  const hb = (status: string) => a.agent.post(`/api/agents/${a.agentId}/heartbeat`, { serviceId: a.serviceId, health: { status, message: status } });
  const stored = async () => (await s.db.get<{ health_status: string }>(`SELECT health_status FROM capsule_services WHERE id = ?`, [a.serviceId]))!.health_status;
  t.equal((await hb("UP")).status, 200);
  t.equal((await hb("UP")).status, 200);
  t.equal(s.app.runtime.serviceHealth.size, 1, "the facts are cached");
  const coalesced = s.app.runtime.counters.healthWritesCoalesced;
  t.equal((await hb("UP")).status, 200);
  t.equal(s.app.runtime.counters.healthWritesCoalesced, coalesced + 1, "an unchanged health from the cache is no write");
  t.equal((await hb("DOWN")).status, 200);
  t.equal(await stored(), "DOWN");
  t.equal((await hb("UP")).status, 200);
  t.equal(await stored(), "UP", "the change back was written: the write forgot the cached UP");
});
