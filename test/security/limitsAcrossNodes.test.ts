// Limits that must be global hold across nodes: two servers on one PostgreSQL database share the
// login throttle, the registration-failure limit and the bus ingest window (limiter_windows), so
// splitting attempts over nodes gains nothing. With per-process counters each node let its own 5
// password checks / 20 registration failures / N events through.
import t from "tap";
import { busKit } from "../bus/_kit.js";
import { startTestServer, type TestServer } from "../helpers.js";
import { postgresOnly } from "../testDb.js";

t.setTimeout(240_000);
const WHY = "several nodes share one database only on PostgreSQL (SQLite is single-node)";
const PARALLEL = 30;

const checks = (...nodes: TestServer[]): number => nodes.reduce((n, s) => n + s.app.runtime.counters.loginPasswordChecks, 0);

t.test(`${PARALLEL} parallel wrong logins split over two nodes: 5 password checks in total`, postgresOnly(WHY), async (t) => {
  const a = await startTestServer(t);
  const b = await startTestServer(t, { sameDatabaseAs: a });
  await a.loginAs("owner", "olive");
  const before = checks(a, b);
  const outcomes = await Promise.all(Array.from({ length: PARALLEL }, async (_, i) => {
    const res = await (i % 2 ? b : a).anon.req("POST", "/api/admin/auth/login", { username: "olive", password: `wrong-guess-${i}-xyz` });
    return { node: i % 2 ? "b" : "a", status: res.status, code: res.body?.error?.code as string | undefined, retryAfter: res.headers.get("retry-after") };
  }));
  t.equal(checks(a, b) - before, 5, "argon2 verified exactly 5 passwords over both nodes");
  t.equal(outcomes.filter((o) => o.status === 401).length, 5, "5 wrong passwords answered 401");
  const limited = outcomes.filter((o) => o.status === 429);
  t.equal(limited.length, PARALLEL - 5, "the rest were refused with 429");
  t.ok(limited.every((o) => o.code === "RATE_LIMITED" && Number(o.retryAfter) > 0), "each 429 says RATE_LIMITED with Retry-After");
  t.ok(new Set(limited.map((o) => o.node)).size === 2, "both nodes refused some");
  for (const s of [a, b]) {
    const right = await s.anon.req("POST", "/api/admin/auth/login", { username: "olive", password: "olive-password-123" });
    t.equal(right.status, 429, "the lock holds on either node, even for the right password");
  }
});

t.test("bad registrations from one IP split over two nodes: 20 checked in total", postgresOnly(WHY), async (t) => {
  const a = await startTestServer(t);
  const b = await startTestServer(t, { sameDatabaseAs: a });
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await (i % 2 ? b : a).anon.post("/api/agents/register", {
      registrationToken: "opstage_reg_not-a-real-token-0000", agent: { code: `bad-agent-${i}`, mode: "embedded", runtime: "nodejs", version: "0.1.0" },
    });
    statuses.push(res.status);
  }
  t.same(statuses.slice(0, 20), Array(20).fill(401), "the first 20 (10 per node) are checked");
  t.same(statuses.slice(20), Array(20).fill(429), "every later one is refused on both nodes");
});

t.test("bus events over the per-minute limit split over two nodes are refused at the same total", postgresOnly(WHY), async (t) => {
  const env = { CAPSTAN_BUS_ENABLED: "true", CAPSTAN_BUS_INGEST_PER_MIN: "6" };
  const k = await busKit(t, env);
  const b = await startTestServer(t, { env, sameDatabaseAs: k.s });
  const onB = b.clientWith({ token: k.source.agent.token! });
  const path = `/api/agents/${k.source.agentId}/bus/events`;
  const results = await Promise.all(Array.from({ length: 14 }, (_, i) => (i % 2 ? onB : k.source.agent).post(path, { eventType: "tick", data: { i } })));
  t.equal(results.filter((r) => r.status === 200).length, 6, "6 events accepted over both nodes (the limit, not 6 per node)");
  const limited = results.filter((r) => r.status === 429);
  t.equal(limited.length, 8, "the other 8 are refused");
  t.ok(limited.every((r) => r.body.error.code === "BUS_RATE_LIMITED" && Number(r.headers.get("retry-after")) >= 1), "BUS_RATE_LIMITED with Retry-After");
  const refusals = (await k.audit("bus.event.received")).filter((r) => r.result === "FAILURE");
  t.equal(refusals.length, 1, "only the first refusal of the window is audited, across nodes");
  t.equal((await k.audit("bus.event.received")).filter((r) => r.result === "SUCCESS").length, 6, "6 events stored");
});
