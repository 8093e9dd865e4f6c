// End to end with the real SDK bundle and the demo service: the docs/bus.md example route, and a
// handler that publishes the event its own route listens to (the loop guard).
import t from "tap";
import { createRegistrationToken } from "../fixtures.js";
import { startTestServer, type Tap, type TestServer } from "../helpers.js";
import { captureLogger, execute, loadDemo, tokenFileIn, waitFor, waitTerminal, type DemoService } from "../sdk/sdkKit.js";

const FAST = { backoff: { baseMs: 50, maxMs: 500 }, progressIntervalMs: 100 };

async function demoOn(t: Tap, s: TestServer): Promise<DemoService & { log: ReturnType<typeof captureLogger> }> {
  const op = await s.loginAs("operator");
  const { createDemoService } = await loadDemo();
  const log = captureLogger();
  const demo = createDemoService({ backendUrl: s.url, registrationToken: await createRegistrationToken(op), tokenFile: tokenFileIn(s.config.dataDir), logger: log.logger, ...FAST });
  await demo.agent.start();
  t.teardown(() => demo.agent.stop());
  return { ...demo, log };
}

const eventsOf = async (s: TestServer) => (await (await s.loginAs("viewer")).get("/api/admin/bus/events?sort=createdAt")).body.data as any[];

t.test("the docs example: createItem publishes demo.item.created, the route makes the demo run echo", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_BUS_ENABLED: "true" } });
  const op = await s.loginAs("operator");
  const demo = await demoOn(t, s);
  const sid = demo.agent.serviceId!;
  // the route exactly as docs/bus.md shows it
  const route = await op.post("/api/admin/bus/routes", {
    name: "Echo new demo items",
    status: "ENABLED",
    trigger: { eventType: "demo.item.created", sourceServiceCode: "demo-capsule-service" },
    action: { targetServiceCode: "demo-capsule-service", actionName: "echo", payloadTemplate: { message: "{{event.data.name}}" } },
  });
  t.equal(route.status, 200, route.text);

  const created = await waitTerminal(op, (await execute(op, sid, "createItem", { payload: { name: "Blue mug" } })).id);
  t.equal(created.status, "SUCCEEDED");
  t.equal(created.result.data.eventPublished, true, "publishEvent reached the bus");

  const [event] = await waitFor(async () => {
    const list = await eventsOf(s);
    return list.length ? list : undefined;
  }, 5000, "the event");
  t.match(event, { eventType: "demo.item.created", sourceServiceCode: "demo-capsule-service", outcome: "DISPATCHED", metadata: { causationId: created.id } });
  t.equal(event.commandIds.length, 1, "exactly one command");
  const echo = await waitTerminal(op, event.commandIds[0]);
  t.match(echo, { actionName: "echo", status: "SUCCEEDED", createdByType: "BUS", sourceEventId: event.id, payload: { message: "Blue mug" } });
  t.equal(echo.result.message, "Blue mug", "the demo ran echo with the item's name");
  const echoes = (await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM commands WHERE action_name = 'echo'`))!;
  t.equal(echoes.n, 1);
});

t.test("a handler publishing the event its route listens to does not loop", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_BUS_ENABLED: "true" } });
  const op = await s.loginAs("operator");
  const demo = await demoOn(t, s);
  const sid = demo.agent.serviceId!;
  await op.post("/api/admin/bus/routes", {
    name: "Copy every new item (would loop)", status: "ENABLED",
    trigger: { eventType: "demo.item.created" },
    action: { targetServiceCode: "demo-capsule-service", actionName: "createItem", payloadTemplate: { name: "{{event.data.name}}" } },
  });
  const first = await waitTerminal(op, (await execute(op, sid, "createItem", { payload: { name: "Loop" } })).id);
  t.equal(first.result.data.eventPublished, true);

  const events = await waitFor(async () => {
    const list = await eventsOf(s);
    return list.length >= 2 ? list : undefined;
  }, 5000, "two events");
  const busCopy = await waitTerminal(op, events[0].commandIds[0]);
  t.match(busCopy, { actionName: "createItem", createdByType: "BUS", status: "SUCCEEDED" });
  t.equal(busCopy.result.data.eventPublished, false, "the copy's event was refused");
  t.match(events[1], { outcome: "REFUSED", errorCode: "BUS_DEPTH_EXCEEDED", metadata: { causationId: busCopy.id }, commandIds: [] });
  t.ok(demo.log.lines.some((l) => l.includes("BUS_DEPTH_EXCEEDED")), "the SDK logged the refusal");

  // give a loop the chance to show itself: nothing more happens
  await new Promise((r) => setTimeout(r, 300));
  t.equal((await eventsOf(s)).length, 2);
  const copies = (await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM commands WHERE action_name = 'createItem'`))!;
  t.equal(copies.n, 2, "the operator's command and one bus copy");
  const refusals = (await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM audit_events WHERE action = 'bus.event.received' AND result = 'FAILURE'`))!;
  t.equal(refusals.n, 1, "the refusal is audited");
});
