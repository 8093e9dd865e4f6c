// OpHub agents (upstream v0.3 mode "ophub", spec upstream-v04.md section 3): one agent process that
// registers without a service, reports three in one call, heartbeats per service and runs commands for
// all of them through one poll; the console's agent page lists its services with status and mode.
import t from "tap";
import { createRegistrationToken, reportedService } from "../fixtures.js";
import { startTestServer } from "../helpers.js";

t.setTimeout(120_000);

const CODES = ["ophub-nginx", "ophub-redis", "ophub-cron"];

t.test("an OpHub agent governs three services through the whole loop", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");

  const reg = await s.anon.post("/api/agents/register", {
    registrationToken: await createRegistrationToken(op),
    agent: { code: "edge-ophub", name: "Edge OpHub", mode: "ophub", runtime: "go", version: "0.3.0", hostname: "edge-1" },
  });
  t.equal(reg.status, 200, reg.text);
  const { agentId, agentToken } = reg.body.data as { agentId: string; agentToken: string };
  t.equal(reg.body.data.services, undefined, "registered without a service");
  const agent = s.clientWith({ token: agentToken });

  // the three services in one report
  const rep = await agent.post(`/api/agents/${agentId}/services/report`, {
    services: CODES.map((c) => reportedService(c, { manifest: { agentMode: "ophub" } })),
  });
  t.equal(rep.status, 200, rep.text);
  const ids = Object.fromEntries((rep.body.data.services as { code: string; serviceId: string }[]).map((x) => [x.code, x.serviceId]));
  t.same(Object.keys(ids).sort(), [...CODES].sort(), "one serviceId per reported code");

  // health without serviceId is ambiguous for an agent with several services
  const ambiguous = await agent.post(`/api/agents/${agentId}/heartbeat`, { health: { status: "UP" } });
  t.equal(ambiguous.status, 422);
  t.equal(ambiguous.body.error.code, "VALIDATION_FAILED");
  t.match(ambiguous.body.error.message, /has 3/);

  // per-service health on heartbeat
  const health: Record<string, string> = { "ophub-nginx": "UP", "ophub-redis": "DEGRADED", "ophub-cron": "DOWN" };
  for (const c of CODES) {
    const hb = await agent.post(`/api/agents/${agentId}/heartbeat`, { serviceId: ids[c], health: { status: health[c], message: `${c} probe` } });
    t.equal(hb.status, 200, `${c}: ${hb.text}`);
  }
  const expected: Record<string, string> = { "ophub-nginx": "HEALTHY", "ophub-redis": "UNHEALTHY", "ophub-cron": "UNHEALTHY" };
  for (const c of CODES) {
    const d = await op.get(`/api/admin/capsule-services/${ids[c]}`);
    t.equal(d.body.data.healthStatus, health[c], `${c} health stored`);
    t.equal(d.body.data.status, expected[c], `${c} effective status`);
    t.equal(d.body.data.agentId, agentId);
  }

  // another agent's service is not this agent's to report health for
  const other = await s.anon.post("/api/agents/register", {
    registrationToken: await createRegistrationToken(op), agent: { code: "plain" }, service: reportedService("plain-svc"),
  });
  t.equal(other.status, 200, other.text);
  const foreign = await agent.post(`/api/agents/${agentId}/heartbeat`, { serviceId: other.body.data.services[0].serviceId, health: { status: "UP" } });
  t.equal(foreign.status, 404);
  t.equal(foreign.body.error.code, "CAPSULE_SERVICE_NOT_FOUND");

  // a command on each service; one poll returns all three
  const commandIds: string[] = [];
  for (const c of CODES) {
    const ex = await op.post(`/api/admin/capsule-services/${ids[c]}/actions/echo`, { payload: { message: `hello ${c}` } });
    t.equal(ex.status, 200, `${c}: ${ex.text}`);
    commandIds.push(ex.body.data.id as string);
  }
  const poll = await agent.get(`/api/agents/${agentId}/commands?limit=10`);
  t.equal(poll.status, 200, poll.text);
  const polled = poll.body.data as { id: string; serviceId: string; status: string; payload: { message: string } }[];
  t.same(polled.map((c) => c.id).sort(), [...commandIds].sort(), "all three commands in one poll");
  t.same(polled.map((c) => c.serviceId).sort(), CODES.map((c) => ids[c]).sort(), "one per service");
  for (const c of polled) t.equal(c.status, "RUNNING");

  for (const c of polled) {
    const r = await agent.post(`/api/agents/${agentId}/commands/${c.id}/result`, { success: true, message: "done", data: { echoed: c.payload.message } });
    t.equal(r.status, 200, r.text);
  }
  for (const [i, id] of commandIds.entries()) {
    const d = await op.get(`/api/admin/commands/${id}`);
    t.equal(d.body.data.status, "SUCCEEDED", `command on ${CODES[i]}`);
    t.equal(d.body.data.serviceId, ids[CODES[i]!]);
  }

  // the admin API shows the mode; the console's agent page lists the three services with status and mode
  const detail = await op.get(`/api/admin/agents/${agentId}`);
  t.equal(detail.body.data.mode, "ophub");
  const page = await op.get(`/agents/${agentId}`);
  t.equal(page.status, 200);
  t.match(page.text, /<dd id="agent-mode">ophub \(governs several local services\)<\/dd>/);
  t.match(page.text, /Services \(3\)/);
  for (const c of CODES) {
    const row = new RegExp(`<tr id="service-${ids[c]}">([\\s\\S]*?)</tr>`).exec(page.text)?.[1] ?? "";
    t.match(row, new RegExp(`>${expected[c]}</span>`), `${c} row shows its status`);
    t.match(row, c, `${c} row shows its code`);
    t.match(row, /data-label="Mode">ophub</, `${c} row shows the mode`);
  }
  t.notMatch(page.text, "plain-svc", "only this agent's services");
});

t.test("an embedded agent still registers as before; unknown modes are refused", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const bad = await s.anon.post("/api/agents/register", { registrationToken: await createRegistrationToken(op), agent: { code: "x", mode: "hub" } });
  t.equal(bad.status, 422);
  t.equal(bad.body.error.code, "VALIDATION_FAILED");
  const ok = await s.anon.post("/api/agents/register", { registrationToken: await createRegistrationToken(op), agent: { code: "y" } });
  t.equal(ok.status, 200);
  t.equal((await op.get(`/api/admin/agents/${ok.body.data.agentId}`)).body.data.mode, "embedded");
});
