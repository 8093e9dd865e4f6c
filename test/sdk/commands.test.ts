// Actions of the demo service run through the admin API, end to end through the SDK bundle:
// results, failures, retry, one-time keys, prepare, progress logs, cancel and timeout.
import t from "tap";
import { createRegistrationToken } from "../fixtures.js";
import { startTestServer, type Tap, type TestServer } from "../helpers.js";
import { captureLogger, execute, loadDemo, loadSdk, tokenFileIn, waitFor, waitTerminal, type DemoService } from "./sdkKit.js";

const FAST = { backoff: { baseMs: 50, maxMs: 500 }, progressIntervalMs: 100 };

async function demoOn(t: Tap, s: TestServer, extra: Record<string, unknown> = {}): Promise<DemoService & { log: ReturnType<typeof captureLogger> }> {
  const op = await s.loginAs("operator");
  const { createDemoService } = await loadDemo();
  const log = captureLogger();
  const demo = createDemoService({
    backendUrl: s.url, registrationToken: await createRegistrationToken(op), tokenFile: tokenFileIn(s.config.dataDir),
    logger: log.logger, ...FAST, ...extra,
  });
  await demo.agent.start();
  t.teardown(() => demo.agent.stop());
  return { ...demo, log };
}

t.test("echo, listItems, runHealthCheck: results as the handlers returned them", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const demo = await demoOn(t, s);
  const sid = demo.agent.serviceId!;

  const echo = await waitTerminal(op, (await execute(op, sid, "echo", { payload: { message: "hi" } })).id);
  t.equal(echo.status, "SUCCEEDED");
  t.equal(echo.result.message, "hi");

  const list = await waitTerminal(op, (await execute(op, sid, "listItems")).id);
  t.equal(list.status, "SUCCEEDED");
  t.ok(Array.isArray(list.result.data.list) && list.result.data.list.length >= 2, "data.list is a table");
  t.same(list.result.data.rowActions.map((a: any) => a.action), ["echo", "createItem"]);

  const health = await waitTerminal(op, (await execute(op, sid, "runHealthCheck")).id);
  t.equal(health.result.data.status, "UP");
  demo.state.queueDepth = 80; // over the demo's limit of 50
  const deep = await waitTerminal(op, (await execute(op, sid, "runHealthCheck")).id);
  t.equal(deep.result.data.status, "DEGRADED", "health flips when the simulated queue is too deep");

  const bad = await op.post(`/api/admin/capsule-services/${sid}/actions/echo`, { payload: { message: 5 } });
  t.equal(bad.status, 422, "the reported inputSchema is enforced by the server");
  t.equal(bad.body.error.code, "ACTION_PAYLOAD_INVALID");
});

t.test("failOnce fails with DEMO_FAILURE, its retry succeeds; createItem survives a disabled bus", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const demo = await demoOn(t, s);
  const sid = demo.agent.serviceId!;
  const failed = await waitTerminal(op, (await execute(op, sid, "failOnce")).id);
  t.equal(failed.status, "FAILED");
  t.equal(failed.errorCode, "DEMO_FAILURE");
  const retry = await op.post(`/api/admin/commands/${failed.id}/retry`, {});
  t.equal(retry.status, 200);
  t.equal((await waitTerminal(op, retry.body.data.id)).status, "SUCCEEDED");

  const created = await waitTerminal(op, (await execute(op, sid, "createItem", { payload: { name: "Third" } })).id);
  t.equal(created.status, "SUCCEEDED");
  t.equal(created.result.data.eventPublished, false, "bus off: publishEvent reports failure, never throws");
  t.ok(demo.log.lines.some((l) => l.includes("event not published")));
});

t.test("rotateKey needs confirmation and returns its key once", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const demo = await demoOn(t, s);
  const sid = demo.agent.serviceId!;
  const refused = await op.post(`/api/admin/capsule-services/${sid}/actions/rotateKey`, {});
  t.equal(refused.status, 422);
  t.equal(refused.body.error.code, "ACTION_REQUIRES_CONFIRMATION");
  const cmd = await execute(op, sid, "rotateKey", { confirmation: true });
  await waitFor(async () => (await await s.db.get("SELECT status FROM commands WHERE id = ?", [cmd.id]) as { status: string }).status === "SUCCEEDED", 3000, "rotateKey");
  const first = await op.get(`/api/admin/commands/${cmd.id}`);
  t.match(first.body.data.result.data.generatedKey, /^demo_/, "shown on the first read");
  const second = await op.get(`/api/admin/commands/${cmd.id}`);
  t.equal(second.body.data.result.data.generatedKey, "[REDACTED]", "then redacted");
});

t.test("prepare answers from the action's prepare or from inputSchema defaults", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const demo = await demoOn(t, s);
  const sid = demo.agent.serviceId!;
  const reindex = await op.get(`/api/admin/capsule-services/${sid}/actions/slowReindex`);
  t.equal(reindex.status, 200);
  t.same(reindex.body.data.initialPayload, { collection: "items" });
  t.equal(reindex.body.data.currentState.items, 2);
  const echo = await op.get(`/api/admin/capsule-services/${sid}/actions/echo`);
  t.same(echo.body.data.initialPayload, { message: "hello" }, "defaults from inputSchema");
});

t.test("slowReindex reports progress and logs, and a cancel stops its handler within a second", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const demo = await demoOn(t, s, { reindexStepMs: 100 });
  const sid = demo.agent.serviceId!;
  const started = new Promise((r) => demo.events.once("reindex:started", r));
  const stopped = new Promise<{ reason: string }>((r) => demo.events.once("reindex:stopped", r));
  const cmd = await execute(op, sid, "slowReindex", { payload: { collection: "items" } });
  await started;
  await waitFor(async () => (await op.get(`/api/admin/commands/${cmd.id}`)).body.data.progress?.percent >= 0.2, 3000, "progress");
  const cancelledAt = Date.now();
  t.equal((await op.post(`/api/admin/commands/${cmd.id}/cancel`, {})).status, 200);
  const stop = await stopped;
  const ms = Date.now() - cancelledAt;
  t.equal(stop.reason, "CANCELLED");
  t.ok(ms < 1000, `handler stopped ${ms} ms after the cancel`);
  const final = await waitTerminal(op, cmd.id);
  t.equal(final.status, "CANCELLED");
  const logs = await op.get(`/api/admin/commands/${cmd.id}/logs`);
  t.equal(logs.status, 200);
  const messages = JSON.stringify(logs.body.data);
  t.match(messages, /reindexing items/);
  t.match(messages, /indexed batch 1/);
});

t.test("a handler exceeding timeoutSeconds is aborted and reported ACTION_TIMEOUT", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const { CapsuleAgent } = await loadSdk();
  let sawAbort: unknown;
  const agent = new CapsuleAgent({
    backendUrl: s.url, registrationToken: await createRegistrationToken(op), tokenFile: tokenFileIn(s.config.dataDir),
    agent: { code: "timeouts" }, logger: captureLogger().logger, ...FAST,
  });
  agent.action({
    name: "hang", label: "Hang", timeoutSeconds: 1,
    handler: (_p, ctx) => new Promise(() => ctx.signal.addEventListener("abort", () => (sawAbort = ctx.signal.reason))), // never settles
  });
  await agent.start();
  t.teardown(() => agent.stop());
  const cmd = await execute(op, agent.serviceId!, "hang");
  const t0 = Date.now();
  const done = await waitTerminal(op, cmd.id, 4000);
  t.equal(done.status, "FAILED");
  t.equal(done.errorCode, "ACTION_TIMEOUT");
  t.ok(Date.now() - t0 < 2500, "reported right after the timeout");
  t.match(sawAbort, { code: "ACTION_TIMEOUT" }, "the handler's signal was aborted with the reason");

  // The slot is free again: the next command runs.
  agent.action({ name: "quick", label: "Quick", handler: () => 42 });
  await waitFor(async () => (await op.get(`/api/admin/capsule-services/${agent.serviceId}/actions`)).body.data.some((a: any) => a.name === "quick"), 3000, "refresh");
  const quick = await waitTerminal(op, (await execute(op, agent.serviceId!, "quick")).id);
  t.equal(quick.status, "SUCCEEDED");
  t.same(quick.result.data, { value: 42 }, "a plain value becomes data");
});

t.test("createItem publishes demo.item.created with the command as its causation", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_BUS_ENABLED: "true" } });
  const op = await s.loginAs("operator");
  const demo = await demoOn(t, s);
  const cmd = await execute(op, demo.agent.serviceId!, "createItem", { payload: { name: "Bus item" } });
  const done = await waitTerminal(op, cmd.id);
  t.equal(done.status, "SUCCEEDED");
  t.equal(done.result.data.eventPublished, true);
  const row = (await s.db.get<Record<string, string>>("SELECT event_type, source_service_code, client_event_id, metadata_json, data_json FROM bus_events"))!;
  t.equal(row.event_type, "demo.item.created");
  t.equal(row.source_service_code, "demo-capsule-service");
  t.match(row.client_event_id, /^[0-9a-f-]{36}$/, "the SDK sent an idempotency key");
  t.equal(JSON.parse(row.metadata_json).causationId, cmd.id, "causationId filled from inside the handler");
  t.equal(JSON.parse(row.data_json).name, "Bus item");

  const outside = await demo.agent.publishEvent({ eventType: "demo.ping", data: {} });
  t.equal(outside.ok, true);
  const last = (await s.db.get<{ metadata_json: string | null }>("SELECT metadata_json FROM bus_events WHERE event_type = 'demo.ping'"))!;
  t.notOk(last.metadata_json && JSON.parse(last.metadata_json).causationId, "no causation outside a handler");
  const invalid = await demo.agent.publishEvent({ eventType: "" });
  t.equal(invalid.ok, false, "bad input resolves ok:false instead of throwing");
});
