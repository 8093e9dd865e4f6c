import t from "tap";
import { readFileSync } from "node:fs";
import { markStaleServices } from "../../src/domain/services.js";
import { dbPath, startTestServer, type TestServer } from "../helpers.js";
import { registerTestAgent, reportedService } from "../fixtures.js";
import { sqliteHandle } from "../../src/db/open.js";
import { databaseText } from "../testDb.js";

const clockServer = async (t: Parameters<typeof startTestServer>[0]) => {
  const clock = { now: Date.parse("2026-05-01T12:00:00.000Z") };
  const s = await startTestServer(t, { now: () => new Date(clock.now) });
  return { s, clock };
};

const auditOf = async (s: TestServer, action: string) => {
  const owner = await s.loginAs("owner");
  return (await owner.get(`/api/admin/audit-events?action=${action}&pageSize=100`)).body.data as any[];
};

const SECRET_PREVIEW = "sk-live-should-never-be-stored-123";

t.test("report: configs and actions replaced as a set, sensitive values dropped, ids stable", async (t) => {
  const s = await startTestServer(t);
  const a = await registerTestAgent(s, {
    code: "rep", serviceCode: "billing",
    configs: [
      { key: "QUEUE_URL", type: "string", valuePreview: "amqp://queue", defaultValue: "amqp://localhost" },
      { key: "STRIPE", label: "Stripe key", type: "secretRef", sensitive: true, valuePreview: SECRET_PREVIEW, defaultValue: SECRET_PREVIEW, secretRef: "env://STRIPE" },
      { key: "DB_PASSWORD", type: "string", valuePreview: SECRET_PREVIEW },
      { key: "MAX_TOKENS", type: "number", valuePreview: 4096 },
    ],
    actions: [
      { name: "echo", label: "Echo" },
      { name: "wipe", label: "Wipe", dangerLevel: "CRITICAL" },
      { name: "rotate", label: "Rotate", dangerLevel: "HIGH", timeoutSeconds: 60, inputSchema: { type: "object", properties: { password: { type: "string", format: "password" } } } },
    ],
  });
  const op = a.operator;
  const configs = (await op.get(`/api/admin/capsule-services/${a.serviceId}/configs`)).body.data;
  t.same(configs.map((c: any) => c.key), ["QUEUE_URL", "STRIPE", "DB_PASSWORD", "MAX_TOKENS"], "reported order kept");
  t.match(configs[0], { valuePreview: "amqp://queue", defaultValue: "amqp://localhost", sensitive: false });
  t.match(configs[1], { sensitive: true, valuePreview: null, defaultValue: null, secretRef: "env://STRIPE", label: "Stripe key" });
  t.match(configs[2], { sensitive: true, valuePreview: null }, "a key naming a secret is sensitive even if not declared");
  t.match(configs[3], { sensitive: false, valuePreview: "4096" });

  const actions = (await op.get(`/api/admin/capsule-services/${a.serviceId}/actions`)).body.data;
  t.same(actions.map((x: any) => [x.name, x.dangerLevel, x.requiresConfirmation]), [
    ["echo", "LOW", false], ["wipe", "CRITICAL", true], ["rotate", "HIGH", true],
  ]);
  t.same(actions[2].inputSchema.properties.password, { type: "string", format: "password" }, "schemas are not redacted");
  t.equal(actions[2].timeoutSeconds, 60);
  t.notOk("inputSchema" in actions[0]);

  const report = await a.agent.post(`/api/agents/${a.agentId}/services/report`, {
    services: [reportedService("billing", {
      configs: [{ key: "QUEUE_URL", type: "string", valuePreview: "amqp://other" }, { key: "NEW", type: "string" }],
      actions: [{ name: "rotate", label: "Rotate keys", dangerLevel: "HIGH" }, { name: "ping" }],
    })],
  });
  t.equal(report.status, 200);
  t.same(report.body.data, { services: [{ code: "billing", serviceId: a.serviceId }] });
  const after = (await op.get(`/api/admin/capsule-services/${a.serviceId}`)).body.data;
  t.same(after.configs.map((c: any) => c.key), ["QUEUE_URL", "NEW"]);
  t.equal(after.configs[0].id, configs[0].id, "a config keeps its id while its key stays");
  t.same(after.actions.map((x: any) => x.name), ["rotate", "ping"]);
  t.equal(after.actions[0].id, actions[2].id);
  t.equal(after.actions[0].label, "Rotate keys");
  t.equal(after.actions[1].label, "ping", "label defaults to the name");

  const changed = await auditOf(s, "service.config.changed");
  t.equal(changed.length, 1);
  t.same(changed[0].metadata.added, ["NEW"]);
  t.same(changed[0].metadata.removed.sort(), ["DB_PASSWORD", "MAX_TOKENS", "STRIPE"]);
  t.same(changed[0].metadata.changed, ["QUEUE_URL"]);
  t.equal((await auditOf(s, "service.reported")).length, 1, "same version: no second service.reported");

  await a.agent.post(`/api/agents/${a.agentId}/services/report`, { services: [reportedService("billing", { configs: [{ key: "QUEUE_URL", type: "string", valuePreview: "amqp://other" }, { key: "NEW", type: "string" }] })] });
  t.equal((await auditOf(s, "service.config.changed")).length, 1, "unchanged config set: no event");
  const bumped = reportedService("billing", { manifest: { version: "1.1.0" } });
  await a.agent.post(`/api/agents/${a.agentId}/services/report`, { services: [{ ...bumped, version: "1.1.0" }] });
  const reported = await auditOf(s, "service.reported");
  t.equal(reported.length, 2, "a new version is reported");
  t.equal(reported[0].metadata.previousVersion, "1.0.0");

  t.notOk(databaseText(s).includes(SECRET_PREVIEW), "sensitive values never reach the database (file or pg_dump)");
});

t.test("report refusals: manifest mismatch, invalid, too large, bad shapes", async (t) => {
  const s = await startTestServer(t);
  const a = await registerTestAgent(s, { code: "bad", serviceCode: "good" });
  const post = (services: unknown) => a.agent.post(`/api/agents/${a.agentId}/services/report`, { services });

  const mismatch = await post([{ ...reportedService("one"), manifest: { code: "two", name: "Two" } }]);
  t.equal(mismatch.status, 422);
  t.equal(mismatch.body.error.code, "CAPSULE_SERVICE_MANIFEST_INVALID");
  t.equal(mismatch.body.error.details.issues[0].path, "manifest.code");

  const wrongKind = await post([{ ...reportedService("one"), manifest: { code: "one", name: "One", kind: "Pod" } }]);
  t.equal(wrongKind.status, 422);
  t.equal(wrongKind.body.error.code, "CAPSULE_SERVICE_MANIFEST_INVALID");
  t.equal(wrongKind.body.error.details.issues[0].path, "manifest.kind");

  const big = await post([reportedService("one", { manifest: { blob: "x".repeat(300 * 1024) } })]);
  t.equal(big.status, 413);
  t.equal(big.body.error.code, "CAPSULE_SERVICE_MANIFEST_TOO_LARGE");

  const invalid: [string, unknown][] = [
    ["no services", []],
    ["not an array", { code: "x" }],
    ["bad code", [reportedService("Bad Code")]],
    ["duplicate config keys", [reportedService("one", { configs: [{ key: "A", type: "s" }, { key: "A", type: "s" }] })]],
    ["duplicate actions", [reportedService("one", { actions: [{ name: "a" }, { name: "a" }] })]],
    ["bad danger level", [reportedService("one", { actions: [{ name: "a", dangerLevel: "EXTREME" }] })]],
    ["url-unsafe action name", [reportedService("one", { actions: [{ name: "a/b" }] })]],
    ["duplicate services", [reportedService("one"), reportedService("one")]],
    ["bad health", [reportedService("one", { health: { status: "GREAT" } })]],
  ];
  for (const [name, services] of invalid) {
    const r = await post(services);
    t.equal(r.status, 422, name);
    t.equal(r.body.error.code, "VALIDATION_FAILED", name);
  }
  t.equal((await a.agent.post(`/api/agents/${a.agentId}/services/report`, {})).status, 422);
  t.equal((await a.operator.get("/api/admin/capsule-services")).body.pagination.total, 1, "nothing half-written");
});

t.test("identity by code: no takeover, release and revoked owners let it move", async (t) => {
  const s = await startTestServer(t);
  const owner = await registerTestAgent(s, { code: "owner", serviceCode: "shared" });
  const other = await registerTestAgent(s, { code: "other", serviceCode: "other-svc" });
  const op = owner.operator;
  const viewer = await s.loginAs("viewer");
  const steal = () => other.agent.post(`/api/agents/${other.agentId}/services/report`, { services: [reportedService("shared")] });

  const refused = await steal();
  t.equal(refused.status, 409);
  t.equal(refused.body.error.code, "CAPSULE_SERVICE_CODE_TAKEN");
  const failed = (await auditOf(s, "service.reported")).filter((e) => e.result === "FAILURE");
  t.equal(failed.length, 1);
  t.equal(failed[0].metadata.errorCode, "CAPSULE_SERVICE_CODE_TAKEN");

  t.equal((await viewer.post(`/api/admin/capsule-services/${owner.serviceId}/release`)).status, 403);
  t.equal((await op.post("/api/admin/capsule-services/svc_01HXYZ0000000000000000000A/release")).status, 404);
  const released = await op.post(`/api/admin/capsule-services/${owner.serviceId}/release`);
  t.equal(released.status, 200);
  t.equal(released.body.data.status, "OFFLINE");
  t.match(released.body.data.statusReason, /released/);
  t.ok(released.body.data.releasedAt);
  t.equal((await op.post(`/api/admin/capsule-services/${owner.serviceId}/release`)).status, 200);
  t.equal((await auditOf(s, "service.released")).length, 1);

  const moved = await steal();
  t.equal(moved.status, 200);
  t.equal(moved.body.data.services[0].serviceId, owner.serviceId, "same service, new owner");
  const svc = (await op.get(`/api/admin/capsule-services/${owner.serviceId}`)).body.data;
  t.equal(svc.agentId, other.agentId);
  t.equal(svc.agentCode, "other");
  t.equal(svc.releasedAt, null);
  const reassigned = await auditOf(s, "service.reassigned");
  t.match(reassigned[0].metadata, { fromAgentId: owner.agentId, toAgentId: other.agentId, reason: "released" });

  // Now the original agent is the outsider; revoking "other" frees the code for it.
  const back = await owner.agent.post(`/api/agents/${owner.agentId}/services/report`, { services: [reportedService("shared")] });
  t.equal(back.status, 409);
  await op.post(`/api/admin/agents/${other.agentId}/revoke`);
  const reclaimed = await owner.agent.post(`/api/agents/${owner.agentId}/services/report`, { services: [reportedService("shared")] });
  t.equal(reclaimed.status, 200);
  t.equal((await auditOf(s, "service.reassigned"))[0].metadata.reason, "owner revoked");
});

t.test("admin reads: list filters on the effective status, detail, manifest, health, 404s", async (t) => {
  const { s, clock } = await clockServer(t);
  const a = await registerTestAgent(s, { code: "ag-a", serviceCode: "alpha", health: { status: "UP", message: "ok", details: { apiKey: "abc", depth: 3 } } });
  clock.now += 1000;
  const b = await registerTestAgent(s, { code: "ag-b", serviceCode: "beta", health: { status: "DOWN" } });
  await b.agent.post(`/api/agents/${b.agentId}/services/report`, {
    services: [reportedService("gamma", { manifest: { capabilities: ["llm.chat", { name: "demo.echo", label: "Echo" }], events: [{ name: "x.created", direction: "publish" }], futureField: { kept: true } } })],
  });
  const viewer = await s.loginAs("viewer");
  const codes = async (qs: string) => (await viewer.get(`/api/admin/capsule-services${qs}`)).body.data.map((x: any) => x.code);

  t.same(await codes(""), ["gamma", "beta", "alpha"]);
  t.same(await codes("?sort=code"), ["alpha", "beta", "gamma"]);
  t.same(await codes("?status=HEALTHY"), ["alpha"]);
  t.same(await codes("?status=UNHEALTHY&status=UNKNOWN&sort=name"), ["beta", "gamma"]);
  t.same(await codes("?healthStatus=DOWN"), ["beta"]);
  t.same(await codes(`?agentId=${b.agentId}&sort=code`), ["beta", "gamma"]);
  t.same(await codes("?q=amm"), ["gamma"]);
  t.same(await codes("?capability=demo.echo"), ["gamma"]);
  t.same(await codes("?q=_"), [], "_ is literal");
  for (const qs of ["?status=UP", "?healthStatus=FINE", "?agentId=nope", "?sort=status", "?pageSize=0", "?foo=1"]) {
    t.equal((await viewer.get(`/api/admin/capsule-services${qs}`)).status, 422, qs);
  }

  const detail = (await viewer.get(`/api/admin/capsule-services/${a.serviceId}`)).body.data;
  t.match(detail, { code: "alpha", status: "HEALTHY", storedStatus: "HEALTHY", statusReason: "health UP", healthStatus: "UP", agentCode: "ag-a" });
  t.equal(detail.health.details.apiKey, "[REDACTED]", "secret-looking values in health details are redacted");
  t.equal(detail.health.details.depth, 3);
  t.equal(detail.manifest.code, "alpha");
  const gammaId = (await viewer.get("/api/admin/capsule-services?q=gamma")).body.data[0].id;
  const manifest = (await viewer.get(`/api/admin/capsule-services/${gammaId}/manifest`)).body.data;
  t.same(manifest.futureField, { kept: true }, "unknown manifest fields are kept");
  t.equal(manifest.capabilities[1].label, "Echo");
  const health = (await viewer.get(`/api/admin/capsule-services/${a.serviceId}/health`)).body.data;
  t.match(health, { serviceId: a.serviceId, agentId: a.agentId, status: "UP", message: "ok" });
  t.equal((await viewer.get(`/api/admin/capsule-services/${gammaId}/health`)).body.data, null, "never reported health");

  for (const sub of ["", "/manifest", "/health", "/configs", "/actions"]) {
    const r = await viewer.get(`/api/admin/capsule-services/svc_01HXYZ0000000000000000000A${sub}`);
    t.equal(r.status, 404, sub);
    t.equal(r.body.error.code, "CAPSULE_SERVICE_NOT_FOUND");
  }
  t.equal((await s.anon.get("/api/admin/capsule-services")).status, 401);
});

t.test("effective status: stale health, silent agent, offline agent; the sweep keeps stored_status in step", async (t) => {
  const { s, clock } = await clockServer(t);
  const a = await registerTestAgent(s, { code: "st", serviceCode: "st-svc", health: { status: "UP" } });
  const op = a.operator;
  const status = async () => (await op.get(`/api/admin/capsule-services/${a.serviceId}`)).body.data;

  // The agent keeps heartbeating without health: health goes stale after 120 s.
  clock.now += 80_000;
  await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, {});
  clock.now += 45_000;
  await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, {});
  let svc = await status();
  t.equal(svc.status, "STALE");
  t.match(svc.statusReason, /last health report 125 s ago \(stale after 120 s\)/);
  t.equal(svc.storedStatus, "HEALTHY");
  t.same((await op.get("/api/admin/capsule-services?status=STALE")).body.data.map((x: any) => x.id), [a.serviceId]);

  t.equal(await markStaleServices(s.app, 100), 1);
  t.equal(await markStaleServices(s.app, 100), 0, "idempotent");
  t.equal((await status()).storedStatus, "STALE");
  t.equal((await auditOf(s, "system.service.stale")).length, 1);

  await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, { health: { status: "UP" } });
  t.equal((await status()).status, "HEALTHY");
  t.equal((await status()).storedStatus, "HEALTHY", "fresh health writes the stored status");

  // The agent goes silent: STALE (agent past the offline threshold), then OFFLINE once swept.
  clock.now += 95_000;
  svc = await status();
  t.equal(svc.status, "STALE");
  t.match(svc.statusReason, /agent st has not sent a heartbeat for 95 s/);
  const { markOfflineAgents } = await import("../../src/domain/agents.js");
  await markOfflineAgents(s.app, 10);
  svc = await status();
  t.equal(svc.status, "OFFLINE");
  t.match(svc.statusReason, /agent st is offline/);
  t.equal(await markStaleServices(s.app, 100), 1, "stored status follows to OFFLINE");
  t.equal((await auditOf(s, "system.service.stale")).length, 1, "only moves into STALE are audited");
});
