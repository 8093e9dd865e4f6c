import t from "tap";
import { markOfflineAgents } from "../../src/domain/agents.js";
import { startTestServer, type TestServer } from "../helpers.js";
import { createRegistrationToken, registerTestAgent, reportedService } from "../fixtures.js";

const clockServer = async (t: Parameters<typeof startTestServer>[0]) => {
  const clock = { now: Date.parse("2026-05-01T12:00:00.000Z") };
  const s = await startTestServer(t, { now: () => new Date(clock.now) });
  return { s, clock };
};

const auditOf = async (s: TestServer, action: string) => {
  const owner = await s.loginAs("owner");
  return (await owner.get(`/api/admin/audit-events?action=${action}&pageSize=100`)).body.data as any[];
};

t.test("register: token consumed, agent created with its facts, service reported, everything audited", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const raw = await createRegistrationToken(op);
  const res = await s.anon.post("/api/agents/register", {
    registrationToken: raw,
    agent: { code: "billing-1", name: "Billing", mode: "embedded", runtime: "nodejs", version: "2.0.1", hostname: "h1", os: "linux", arch: "arm64" },
    service: reportedService("billing"),
  });
  t.equal(res.status, 200);
  const d = res.body.data;
  t.match(d.agentId, /^agt_[0-9A-Z]{26}$/);
  t.match(d.agentToken, /^opstage_agent_[0-9A-Za-z]{43}$/);
  t.equal(d.heartbeatIntervalSeconds, 30);
  t.equal(d.commandPollIntervalSeconds, 5);
  t.equal(d.services.length, 1);
  t.equal(d.services[0].code, "billing");
  t.match(d.services[0].serviceId, /^svc_/);

  const agent = (await op.get(`/api/admin/agents/${d.agentId}`)).body.data;
  t.match(agent, { code: "billing-1", name: "Billing", mode: "embedded", runtime: "nodejs", version: "2.0.1", hostname: "h1", os: "linux", arch: "arm64" });
  t.equal(agent.status, "PENDING");
  t.equal(agent.statusReason, "registered; waiting for the first heartbeat");
  t.equal(agent.lastSeenAt, null);

  for (const action of ["registration_token.consumed", "agent.registered", "agent_token.issued", "service.reported"]) {
    const ev = await auditOf(s, action);
    t.equal(ev.length, 1, action);
    t.equal(ev[0].result, "SUCCESS");
  }
  t.notOk(s.logs.join("\n").includes(d.agentToken), "agent token never logged");

  const again = await s.anon.post("/api/agents/register", { registrationToken: raw, agent: { code: "billing-2" } });
  t.equal(again.status, 409);
  t.equal(again.body.error.code, "REGISTRATION_TOKEN_USED");
});

t.test("register refusals are specific, leave nothing behind and are audited", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const unknown = await s.anon.post("/api/agents/register", { registrationToken: "opstage_reg_nope", agent: { code: "x" } });
  t.equal(unknown.status, 401);
  t.equal(unknown.body.error.code, "REGISTRATION_TOKEN_INVALID");

  const { agentId } = await registerTestAgent(s, { code: "taken" });
  const raw = await createRegistrationToken(op);
  const taken = await s.anon.post("/api/agents/register", { registrationToken: raw, agent: { code: "taken" } });
  t.equal(taken.status, 409);
  t.equal(taken.body.error.code, "AGENT_CODE_TAKEN", "an unbound token cannot take over an existing agent");
  const tokens = (await op.get("/api/admin/registration-tokens?status=ACTIVE")).body.data;
  t.equal(tokens.length, 1, "the refused registration did not consume the token");

  const bound = await createRegistrationToken(op, { agentCode: "other" });
  const wrongCode = await s.anon.post("/api/agents/register", { registrationToken: bound, agent: { code: "taken" } });
  t.equal(wrongCode.status, 401);
  t.equal(wrongCode.body.error.code, "REGISTRATION_TOKEN_INVALID");

  const badService = await s.anon.post("/api/agents/register", {
    registrationToken: raw, agent: { code: "fresh" }, service: { ...reportedService("svc-a"), manifest: { code: "svc-b", name: "B" } },
  });
  t.equal(badService.status, 422);
  t.equal(badService.body.error.code, "CAPSULE_SERVICE_MANIFEST_INVALID");
  t.equal((await op.get("/api/admin/agents?q=fresh")).body.pagination.total, 0, "rolled back with the service");

  const failures = (await auditOf(s, "agent.registered")).filter((e) => e.result === "FAILURE");
  t.same(failures.map((e) => e.metadata.errorCode).sort(), [
    "AGENT_CODE_TAKEN", "CAPSULE_SERVICE_MANIFEST_INVALID", "REGISTRATION_TOKEN_INVALID", "REGISTRATION_TOKEN_INVALID",
  ]);

  for (const body of [{}, { registrationToken: raw }, { registrationToken: raw, agent: { code: "" } }, { registrationToken: raw, agent: { code: "a b" } },
    { registrationToken: raw, agent: { code: "ok", mode: "sidecar" } }]) {
    const r = await s.anon.post("/api/agents/register", body);
    t.equal(r.status, 422, JSON.stringify(body));
    t.equal(r.body.error.code, "VALIDATION_FAILED");
  }
  t.ok(agentId);
});

t.test("re-enrolment with a bound token rotates the token; DISABLED stays, REVOKED is lifted", async (t) => {
  const s = await startTestServer(t);
  const first = await registerTestAgent(s, { code: "edge" });
  const op = first.operator;

  const bound = await createRegistrationToken(op, { agentCode: "edge" });
  const re = await s.anon.post("/api/agents/register", { registrationToken: bound, agent: { code: "edge", hostname: "new-host" } });
  t.equal(re.status, 200);
  t.equal(re.body.data.agentId, first.agentId, "same agent");
  const old = await first.agent.post(`/api/agents/${first.agentId}/heartbeat`, {});
  t.equal(old.status, 401);
  t.equal(old.body.error.code, "AGENT_TOKEN_REVOKED");
  const fresh = s.clientWith({ token: re.body.data.agentToken });
  t.equal((await fresh.post(`/api/agents/${first.agentId}/heartbeat`, {})).status, 200);
  t.equal((await op.get(`/api/admin/agents/${first.agentId}`)).body.data.hostname, "new-host");
  t.equal((await auditOf(s, "agent.token.rotated")).length, 1);

  t.equal((await op.post(`/api/admin/agents/${first.agentId}/disable`)).status, 200);
  const whileDisabled = await s.anon.post("/api/agents/register", { registrationToken: await createRegistrationToken(op, { agentCode: "edge" }), agent: { code: "edge" } });
  t.equal(whileDisabled.status, 200);
  const stillDisabled = await s.clientWith({ token: whileDisabled.body.data.agentToken }).post(`/api/agents/${first.agentId}/heartbeat`, {});
  t.equal(stillDisabled.status, 403);
  t.equal(stillDisabled.body.error.code, "AGENT_DISABLED");

  t.equal((await op.post(`/api/admin/agents/${first.agentId}/revoke`)).status, 200);
  const back = await s.anon.post("/api/agents/register", { registrationToken: await createRegistrationToken(op, { agentCode: "edge" }), agent: { code: "edge" } });
  t.equal(back.status, 200);
  const usable = await s.clientWith({ token: back.body.data.agentToken }).post(`/api/agents/${first.agentId}/heartbeat`, {});
  t.equal(usable.status, 200, "a revoked agent is usable again after re-enrolment");
  t.equal((await op.get(`/api/admin/agents/${first.agentId}`)).body.data.status, "ONLINE");
  t.equal((await auditOf(s, "agent.reinstated")).length, 1);
});

t.test("heartbeat: transition to ONLINE, health routing, ownership, sampled audit", async (t) => {
  const { s, clock } = await clockServer(t);
  const a = await registerTestAgent(s, { code: "hb" });
  const op = a.operator;
  t.equal((await op.get(`/api/admin/agents/${a.agentId}`)).body.data.status, "ONLINE");

  const hb = await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, { health: { status: "DEGRADED", message: "slow" } });
  t.equal(hb.status, 200);
  t.same(hb.body.data, { heartbeatIntervalSeconds: 30, commandPollIntervalSeconds: 5 });
  const svc = (await op.get(`/api/admin/capsule-services/${a.serviceId}`)).body.data;
  t.equal(svc.healthStatus, "DEGRADED", "health without serviceId goes to the only service");
  t.equal(svc.status, "UNHEALTHY");
  t.equal(svc.health.message, "slow");

  const withId = await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, { serviceId: a.serviceId, health: { status: "UP" } });
  t.equal(withId.status, 200);

  // A second service makes "which one?" ambiguous.
  t.equal((await a.agent.post(`/api/agents/${a.agentId}/services/report`, { services: [reportedService("hb-second")] })).status, 200);
  const ambiguous = await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, { health: { status: "UP" } });
  t.equal(ambiguous.status, 422);
  t.equal(ambiguous.body.error.code, "VALIDATION_FAILED");
  t.equal(ambiguous.body.error.details.issues[0].path, "serviceId");

  const other = await registerTestAgent(s, { code: "hb-other" });
  const foreign = await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, { serviceId: other.serviceId, health: { status: "DOWN" } });
  t.equal(foreign.status, 404, "another agent's service is not found");
  t.equal(foreign.body.error.code, "CAPSULE_SERVICE_NOT_FOUND");
  t.equal((await op.get(`/api/admin/capsule-services/${other.serviceId}`)).body.data.healthStatus, "UNKNOWN");

  const noBody = await a.agent.req("POST", `/api/agents/${a.agentId}/heartbeat`);
  t.equal(noBody.status, 200, "a heartbeat without a body is fine");
  for (const body of [{ health: { status: "FINE" } }, { serviceId: "svc_x" }, { health: {} }]) {
    t.equal((await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, body)).status, 422, JSON.stringify(body));
  }
  const mismatch = await a.agent.post(`/api/agents/${other.agentId}/heartbeat`, {});
  t.equal(mismatch.status, 403);
  t.equal(mismatch.body.error.code, "AGENT_ID_MISMATCH");
  t.equal((await s.anon.post(`/api/agents/${a.agentId}/heartbeat`, {})).status, 401);
  const adminToken = await op.post(`/api/agents/${a.agentId}/heartbeat`, {});
  t.equal(adminToken.status, 401, "a session cookie is not an agent credential");

  const sampled = () => auditOf(s, "agent.heartbeat.received").then((e) => e.filter((x) => x.actorId === a.agentId).length);
  t.equal(await sampled(), 1, "only the transition so far");
  clock.now += 5 * 60_000;
  await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, {});
  await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, {});
  t.equal(await sampled(), 2, "one more sample after five minutes");
  t.equal(s.app.runtime.counters.heartbeatsReceived >= 6, true);
});

t.test("admin list: effective status filter, search, sort, pagination; offline sweep", async (t) => {
  const { s, clock } = await clockServer(t);
  const a = await registerTestAgent(s, { code: "alpha" });
  clock.now += 1000;
  const b = await registerTestAgent(s, { code: "beta" });
  const op = a.operator;
  const viewer = await s.loginAs("viewer");

  const list = await viewer.get("/api/admin/agents");
  t.equal(list.status, 200);
  t.same(list.body.data.map((x: any) => x.code), ["beta", "alpha"], "default -createdAt");
  t.same((await viewer.get("/api/admin/agents?sort=name")).body.data.map((x: any) => x.code), ["alpha", "beta"]);
  t.same((await viewer.get("/api/admin/agents?q=lph")).body.data.map((x: any) => x.code), ["alpha"]);
  t.equal((await viewer.get("/api/admin/agents?q=%25")).body.pagination.total, 0, "% is literal");
  const paged = await viewer.get("/api/admin/agents?pageSize=1&page=2&sort=createdAt");
  t.same(paged.body.data.map((x: any) => x.code), ["beta"]);
  t.same(paged.body.pagination, { page: 2, pageSize: 1, total: 2 });

  // alpha goes quiet past the 90 s threshold; beta keeps heartbeating. Nothing swept yet.
  clock.now += 60_000;
  await b.agent.post(`/api/agents/${b.agentId}/heartbeat`, {});
  clock.now += 40_000;
  const offline = await viewer.get("/api/admin/agents?status=OFFLINE");
  t.same(offline.body.data.map((x: any) => x.code), ["alpha"], "filter uses the effective status");
  t.equal(offline.body.data[0].storedStatus, "ONLINE", "before the sweep the stored status lags");
  t.match(offline.body.data[0].statusReason, /no heartbeat for 10\d s/);
  t.same((await viewer.get("/api/admin/agents?status=ONLINE&status=PENDING")).body.data.map((x: any) => x.code), ["beta"]);

  t.equal(await markOfflineAgents(s.app, 10), 1);
  t.equal(await markOfflineAgents(s.app, 10), 0, "idempotent");
  t.equal((await op.get(`/api/admin/agents/${a.agentId}`)).body.data.storedStatus, "OFFLINE");
  t.equal((await auditOf(s, "system.agent.offline"))[0].targetId, a.agentId);

  await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, {});
  const back = (await op.get(`/api/admin/agents/${a.agentId}`)).body.data;
  t.equal(back.status, "ONLINE");
  t.equal(back.storedStatus, "ONLINE", "a heartbeat moves OFFLINE back to ONLINE");
  const samples = (await auditOf(s, "agent.heartbeat.received")).filter((e) => e.actorId === a.agentId);
  t.equal(samples.length, 1, "still at most one heartbeat audit per five minutes");

  for (const qs of ["?status=ASLEEP", "?sort=code", "?page=0", "?x=1", "?q="]) {
    t.equal((await viewer.get(`/api/admin/agents${qs}`)).status, 422, qs);
  }
  const missing = await viewer.get("/api/admin/agents/agt_01HXYZ0000000000000000000A");
  t.equal(missing.status, 404);
  t.equal(missing.body.error.code, "AGENT_NOT_FOUND");
});

t.test("disable, enable, revoke: operator only, audited, enforced on the agent API", async (t) => {
  const s = await startTestServer(t);
  const a = await registerTestAgent(s, { code: "ops" });
  const op = a.operator;
  const viewer = await s.loginAs("viewer");
  t.equal((await viewer.post(`/api/admin/agents/${a.agentId}/disable`)).status, 403);
  t.equal((await s.anon.post(`/api/admin/agents/${a.agentId}/disable`)).status, 401);
  t.equal((await op.post("/api/admin/agents/agt_01HXYZ0000000000000000000A/disable")).status, 404);

  const disabled = await op.post(`/api/admin/agents/${a.agentId}/disable`);
  t.equal(disabled.status, 200);
  t.equal(disabled.body.data.status, "DISABLED");
  t.equal((await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, {})).body.error.code, "AGENT_DISABLED");
  const svc = (await op.get(`/api/admin/capsule-services/${a.serviceId}`)).body.data;
  t.equal(svc.status, "OFFLINE");
  t.equal(svc.statusReason, "agent ops is disabled");

  const enabled = await op.post(`/api/admin/agents/${a.agentId}/enable`);
  t.equal(enabled.body.data.status, "ONLINE", "resumes what its heartbeat age says");
  t.equal((await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, {})).status, 200);

  const revoked = await op.post(`/api/admin/agents/${a.agentId}/revoke`);
  t.equal(revoked.body.data.status, "REVOKED");
  const after = await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, {});
  t.equal(after.status, 401, "its tokens were revoked with it");
  t.equal(after.body.error.code, "AGENT_TOKEN_REVOKED");
  const enableRevoked = await op.post(`/api/admin/agents/${a.agentId}/enable`);
  t.equal(enableRevoked.status, 409);
  t.equal((await op.post(`/api/admin/agents/${a.agentId}/disable`)).status, 409);
  t.equal((await op.post(`/api/admin/agents/${a.agentId}/revoke`)).status, 200, "revoking twice is a no-op");

  const events = await auditOf(s, "agent.revoked");
  t.equal(events.length, 1);
  t.equal(events[0].metadata.revokedCount, 1);
  t.equal(events[0].actorType, "USER");
  t.equal((await auditOf(s, "agent.disabled")).length, 1);
  t.equal((await auditOf(s, "agent.enabled")).length, 1);
});
