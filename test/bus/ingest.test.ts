// The agent side of the bus over real HTTP: routing by status, templates, the loop guard, the source
// rule, the rate limit, idempotent re-sends, and the bus being off.
import t from "tap";
import { registerTestAgent } from "../fixtures.js";
import { startTestServer } from "../helpers.js";
import { busKit, echoRoute } from "./_kit.js";

t.test("an ENABLED route turns one event into exactly one command that the target agent runs", async (t) => {
  const k = await busKit(t);
  const route = await k.createRoute(echoRoute(k));
  t.equal(route.status, 200, route.text);
  const res = await k.publish({ eventType: "shop.item.created", data: { id: "itm_1", name: "Blue mug" }, metadata: { correlationId: "order-7" } });
  t.equal(res.status, 200, res.text);
  const { eventId, matchedRoutes, commandIds } = res.body.data;
  t.match(eventId, /^bev_/);
  t.equal(commandIds.length, 1, "exactly one command");
  t.match(matchedRoutes, [{ routeId: route.body.data.id, status: "ENABLED", outcome: "COMMAND_CREATED", commandId: commandIds[0] }]);

  const cmd = (await k.operator.get(`/api/admin/commands/${commandIds[0]}`)).body.data;
  t.match(cmd, { actionName: "echo", serviceId: k.target.serviceId, createdByType: "BUS", sourceEventId: eventId, createdByUserId: null, status: "PENDING" });
  t.same(cmd.payload, { message: "Blue mug" }, "payload rendered from the template");

  const polled = await k.target.agent.get(`/api/agents/${k.target.agentId}/commands`);
  t.same(polled.body.data.map((c: { id: string }) => c.id), commandIds, "the target agent receives it");
  t.same(polled.body.data[0].payload, { message: "Blue mug" });
  const done = await k.target.agent.post(`/api/agents/${k.target.agentId}/commands/${commandIds[0]}/result`, { success: true, message: "Blue mug" });
  t.equal(done.status, 200);
  t.equal((await k.operator.get(`/api/admin/commands/${commandIds[0]}`)).body.data.status, "SUCCEEDED");
  t.equal(await k.commandCount(), 1);

  const received = await k.audit("bus.event.received");
  t.match(received, [{ result: "SUCCESS", actor_type: "AGENT", actor_id: k.source.agentId, target_id: eventId }]);
  t.equal(received[0]!.metadata.correlationId, "order-7");
  t.match(await k.audit("bus.route.matched"), [{ actor_type: "SYSTEM", actor_id: route.body.data.id, metadata: { eventId, status: "ENABLED" } }]);
  t.match(await k.audit("bus.command.created"), [{ actor_type: "SYSTEM", actor_id: route.body.data.id, target_id: commandIds[0], metadata: { eventId } }]);
  t.match((await k.audit("command.created")).at(-1), { actor_type: "SYSTEM", actor_id: route.body.data.id, metadata: { createdByType: "BUS", sourceEventId: eventId } });

  const ev = (await k.viewer.get(`/api/admin/bus/events/${eventId}`)).body.data;
  t.match(ev, { outcome: "DISPATCHED", sourceServiceCode: "shop", agentId: k.source.agentId, commandIds, metadata: { correlationId: "order-7" } });
  t.equal(ev.commands[0].status, "SUCCEEDED", "the event shows the commands it caused");
  t.ok((await k.viewer.get(`/api/admin/bus/routes/${route.body.data.id}`)).body.data.lastMatchedAt);
});

t.test("DRY_RUN only audits, DISABLED does nothing, no match is audited", async (t) => {
  const k = await busKit(t);
  const dry = await k.createRoute(echoRoute(k, { name: "dry", status: "DRY_RUN" }));
  const off = await k.createRoute(echoRoute(k, { name: "off", status: "DISABLED", trigger: { eventType: "shop.item.deleted" } }));
  t.equal(dry.status, 200);
  t.equal(off.body.data.status, "DISABLED");

  const a = await k.publish({ eventType: "shop.item.created", data: { name: "Plate" } });
  t.match(a.body.data, { commandIds: [], matchedRoutes: [{ routeId: dry.body.data.id, status: "DRY_RUN", outcome: "DRY_RUN" }] });
  t.equal(await k.commandCount(), 0, "DRY_RUN creates no command");
  t.match(await k.audit("bus.route.matched"), [{ metadata: { status: "DRY_RUN", wouldRun: { actionName: "echo", payload: { message: "Plate" } } } }]);

  const b = await k.publish({ eventType: "shop.item.deleted", data: {} });
  t.same(b.body.data.matchedRoutes, [], "a DISABLED route does not match");
  const c = await k.publish({ eventType: "nobody.listens", data: {} });
  t.same(c.body.data, { eventId: c.body.data.eventId, matchedRoutes: [], commandIds: [] });
  t.equal(await k.commandCount(), 0);
  t.same((await k.audit("bus.route.unmatched")).map((r) => r.target_id), [b.body.data.eventId, c.body.data.eventId], "each unmatched event is audited");

  const outcomes = (await k.viewer.get("/api/admin/bus/events?sort=createdAt")).body.data.map((e: { outcome: string }) => e.outcome);
  t.same(outcomes, ["DRY_RUN", "UNMATCHED", "UNMATCHED"]);
  t.equal((await k.viewer.get("/api/admin/bus/events?outcome=UNMATCHED")).body.pagination.total, 2);
  t.equal((await k.viewer.get("/api/admin/bus/events?eventType=shop.item.created")).body.pagination.total, 1);
  t.equal((await k.viewer.get("/api/admin/bus/events?source=shop&source=mailer")).body.pagination.total, 3);
  t.equal((await k.viewer.get("/api/admin/bus/events?source=mailer")).body.pagination.total, 0);
  for (const qs of ["?outcome=MAYBE", "?colour=red", "?source=Not%20A%20Code", "?sort=data", "?pageSize=500"]) {
    t.equal((await k.viewer.get(`/api/admin/bus/events${qs}`)).status, 422, qs);
  }
  t.equal((await k.viewer.get("/api/admin/bus/events/bev_01ARZ3NDEKTSV4RRFFQ69G5FAV")).status, 404);
});

t.test("a route whose command is refused records the failure; the event still succeeds for the agent", async (t) => {
  const k = await busKit(t);
  await k.createRoute(echoRoute(k, { name: "bad payload", action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: { message: "{{event.data.missing}}" } } }));
  await k.createRoute(echoRoute(k, { name: "no such service", action: { targetServiceCode: "ghost", actionName: "echo" } }));
  await k.createRoute(echoRoute(k, { name: "good" }));
  const res = await k.publish({ eventType: "shop.item.created", data: { name: "Cup" } });
  t.equal(res.status, 200);
  t.match(res.body.data.matchedRoutes, [
    { routeName: "bad payload", outcome: "FAILED", errorCode: "ACTION_PAYLOAD_INVALID" },
    { routeName: "no such service", outcome: "FAILED", errorCode: "CAPSULE_SERVICE_NOT_FOUND" },
    { routeName: "good", outcome: "COMMAND_CREATED" },
  ]);
  t.equal(res.body.data.commandIds.length, 1);
  const failed = await k.audit("bus.route.failed");
  t.same(failed.map((f) => [f.result, f.metadata.errorCode]), [["FAILURE", "ACTION_PAYLOAD_INVALID"], ["FAILURE", "CAPSULE_SERVICE_NOT_FOUND"]]);
  t.equal((await k.viewer.get(`/api/admin/bus/events/${res.body.data.eventId}`)).body.data.outcome, "PARTIAL");
});

t.test("loop guard: an event caused by a bus-created command is refused 422 and audited", async (t) => {
  const k = await busKit(t);
  await k.createRoute(echoRoute(k));
  const first = await k.publish({ eventType: "shop.item.created", data: { name: "Bowl" } });
  const busCommand = first.body.data.commandIds[0];
  // the target's handler publishes the same event type inside the bus-created command
  const again = await k.publish({ eventType: "shop.item.created", data: { name: "Bowl" }, metadata: { causationId: busCommand } }, k.target);
  t.equal(again.status, 422);
  t.equal(again.body.error.code, "BUS_DEPTH_EXCEEDED");
  t.match(again.body.error.details.eventId, /^bev_/);
  t.equal(await k.commandCount(), 1, "no second command");
  t.match((await k.audit("bus.event.received")).at(-1), { result: "FAILURE", actor_id: k.target.agentId, metadata: { errorCode: "BUS_DEPTH_EXCEEDED", causationId: busCommand } });
  const refused = (await k.viewer.get("/api/admin/bus/events?outcome=REFUSED")).body.data;
  t.match(refused, [{ errorCode: "BUS_DEPTH_EXCEEDED", sourceServiceCode: "mailer" }]);
  const keyed = { eventId: "loop-1", eventType: "shop.item.created", data: {}, metadata: { causationId: busCommand } };
  t.equal((await k.publish(keyed, k.target)).status, 422);
  const resent = await k.publish(keyed, k.target);
  t.equal(resent.body.error.code, "BUS_DEPTH_EXCEEDED", "a re-send is refused the same way");
  t.equal((await k.viewer.get("/api/admin/bus/events?outcome=REFUSED")).body.pagination.total, 2, "and not stored twice");

  // an operator's command is not a bus command: its events flow normally
  const op = await k.operator.post(`/api/admin/capsule-services/${k.target.serviceId}/actions/echo`, { payload: { message: "hi" } });
  const caused = await k.publish({ eventType: "shop.item.created", data: { name: "Jug" }, metadata: { causationId: op.body.data.id } });
  t.equal(caused.status, 200);
  t.equal(caused.body.data.commandIds.length, 1);
});

t.test("sourceServiceCode comes from the agent's own service, never the body", async (t) => {
  const k = await busKit(t);
  // listens only to events from the mailer service
  await k.createRoute(echoRoute(k, { trigger: { eventType: "shop.item.created", sourceServiceCode: "mailer" } }));
  const forged = await k.publish({ eventType: "shop.item.created", sourceServiceCode: "mailer", data: { name: "x" } });
  t.equal(forged.status, 200);
  t.same(forged.body.data.commandIds, [], "a forged source does not match");
  t.equal((await k.viewer.get(`/api/admin/bus/events/${forged.body.data.eventId}`)).body.data.sourceServiceCode, "shop");

  const other = await k.publish({ eventType: "shop.item.created", serviceCode: "mailer", data: { name: "x" } });
  t.equal(other.status, 403, "naming another agent's service is refused");
  t.equal(other.body.error.code, "CAPSULE_SERVICE_NOT_OWNED");
  t.match((await k.audit("bus.event.received")).at(-1), { result: "FAILURE", actor_id: k.source.agentId, metadata: { errorCode: "CAPSULE_SERVICE_NOT_OWNED", serviceCode: "mailer" } });
  const own = await k.publish({ eventType: "shop.item.created", serviceCode: "shop", data: { name: "x" } });
  t.equal(own.status, 200, "naming its own service is fine");

  // an agent with two services must say which one published
  await k.source.agent.post(`/api/agents/${k.source.agentId}/services/report`, {
    services: [
      { code: "shop", name: "Shop", manifest: { kind: "CapsuleService", code: "shop", name: "Shop" } },
      { code: "shop-admin", name: "Shop admin", manifest: { kind: "CapsuleService", code: "shop-admin", name: "Shop admin" } },
    ],
  });
  const ambiguous = await k.publish({ eventType: "shop.item.created", data: {} });
  t.equal(ambiguous.status, 422);
  t.equal(ambiguous.body.error.details.issues[0].path, "serviceCode");
  t.equal((await k.publish({ eventType: "shop.item.created", serviceCode: "shop-admin", data: {} })).status, 200);
});

t.test("bad events get a 4xx with the envelope", async (t) => {
  const k = await busKit(t);
  const cases: [unknown, number, string][] = [
    [{}, 422, "no eventType"],
    [{ eventType: "" }, 422, "empty eventType"],
    [{ eventType: "x".repeat(121) }, 422, "eventType too long"],
    [{ eventType: "has spaces" }, 422, "eventType with spaces"],
    [{ eventType: "a.b", timestamp: "yesterday" }, 422, "bad timestamp"],
    [{ eventType: "a.b", metadata: { causationId: 42 } }, 422, "causationId not a string"],
    [{ eventType: "a.b", metadata: "nope" }, 422, "metadata not an object"],
    [[1, 2], 422, "array body"],
    ["{not json", 400, "malformed JSON"],
    [{ eventType: "a.b", data: { blob: "x".repeat(70 * 1024) } }, 413, "over the event body limit"],
  ];
  for (const [body, status, why] of cases) {
    const r = await k.publish(body);
    t.equal(r.status, status, why);
    t.equal(r.body.success, false, why);
  }
  const wrongAgent = await k.source.agent.post(`/api/agents/${k.target.agentId}/bus/events`, { eventType: "a.b" });
  t.equal(wrongAgent.status, 403);
  t.equal(wrongAgent.body.error.code, "AGENT_ID_MISMATCH");
  t.equal((await k.s.anon.post(`/api/agents/${k.source.agentId}/bus/events`, { eventType: "a.b" })).status, 401);
});

t.test("a re-sent eventId gets the first answer and creates nothing new", async (t) => {
  const k = await busKit(t);
  await k.createRoute(echoRoute(k));
  const body = { eventId: "evt-42", eventType: "shop.item.created", data: { name: "Vase" } };
  const first = await k.publish(body);
  const second = await k.publish(body);
  t.equal(second.status, 200);
  t.same(second.body.data, first.body.data);
  t.equal(await k.commandCount(), 1);
  t.equal((await k.audit("bus.event.received")).length, 1);
  // ids are per agent: another agent may use the same one
  const fromTarget = await k.publish(body, k.target);
  t.not(fromTarget.body.data.eventId, first.body.data.eventId);
});

t.test("the per-agent rate limit answers 429 with Retry-After, audited once", async (t) => {
  const k = await busKit(t, { CAPSTAN_BUS_INGEST_PER_MIN: "3" });
  for (let i = 0; i < 3; i++) t.equal((await k.publish({ eventType: "tick", data: { i } })).status, 200);
  const limited = await k.publish({ eventType: "tick", data: {} });
  t.equal(limited.status, 429);
  t.equal(limited.body.error.code, "BUS_RATE_LIMITED");
  t.ok(Number(limited.headers.get("retry-after")) >= 1);
  t.equal((await k.publish({ eventType: "tick", data: {} })).status, 429);
  t.equal((await k.publish({ eventType: "tick", data: {} }, k.target)).status, 200, "the limit is per agent");
  const refusals = (await k.audit("bus.event.received")).filter((r) => r.result === "FAILURE");
  t.equal(refusals.length, 1, "only the first refusal in a window is audited");
  t.equal(refusals[0]!.metadata.errorCode, "BUS_RATE_LIMITED");
});

t.test("with the bus off the agent endpoint is 404 and the admin API 503", async (t) => {
  const s = await startTestServer(t);
  const a = await registerTestAgent(s);
  const res = await a.agent.post(`/api/agents/${a.agentId}/bus/events`, { eventType: "a.b", data: {} });
  t.equal(res.status, 404);
  t.equal(res.body.error.code, "NOT_FOUND");
  const op = await s.loginAs("operator");
  for (const [method, path] of [["GET", "/api/admin/bus/routes"], ["POST", "/api/admin/bus/routes"], ["GET", "/api/admin/bus/events"],
    ["PATCH", "/api/admin/bus/routes/brr_01ARZ3NDEKTSV4RRFFQ69G5FAV"], ["POST", "/api/admin/bus/routes/preview"]] as const) {
    const r = await op.req(method, path, method === "GET" ? undefined : { name: "x" });
    t.equal(r.status, 503, `${method} ${path}`);
    t.equal(r.body.error.code, "CAPSULE_BUS_DISABLED");
  }
  t.equal((await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM bus_events`))!.n, 0);
});
