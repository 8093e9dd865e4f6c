// The admin side of the bus: route CRUD, validation, the confirmation rule, preview, roles.
import t from "tap";
import { busKit, echoRoute } from "./_kit.js";

t.test("create, read, list, patch and delete a route, each audited", async (t) => {
  const k = await busKit(t);
  const created = await k.createRoute({
    name: "Echo new items", description: "demo", trigger: { eventType: "shop.item.created" },
    action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: { message: "{{ event.data.name }}", source: "{{event.sourceServiceCode}}" } },
  });
  t.equal(created.status, 200, created.text);
  const r = created.body.data;
  t.match(r, {
    id: /^brr_/, name: "Echo new items", status: "DISABLED", confirmed: false,
    trigger: { eventType: "shop.item.created", sourceServiceCode: null },
    action: { targetServiceCode: "mailer", actionName: "echo" },
    target: { serviceId: k.target.serviceId, actionFound: true, dangerLevel: "LOW", needsConfirmation: false },
    createdByUserId: k.operator.userId,
  });
  t.same((await k.viewer.get(`/api/admin/bus/routes/${r.id}`)).body.data, r, "viewers read");

  await k.createRoute(echoRoute(k, { name: "Second", status: "DRY_RUN" }));
  const list = await k.viewer.get("/api/admin/bus/routes?sort=name");
  t.same(list.body.data.map((x: { name: string }) => x.name), ["Echo new items", "Second"]);
  t.same(list.body.pagination, { page: 1, pageSize: 20, total: 2 });
  t.equal((await k.viewer.get("/api/admin/bus/routes?status=DRY_RUN")).body.pagination.total, 1);
  t.equal((await k.viewer.get("/api/admin/bus/routes?q=second")).body.pagination.total, 1);
  t.equal((await k.viewer.get("/api/admin/bus/routes?eventType=shop.item.created&targetServiceCode=mailer")).body.pagination.total, 2);
  for (const qs of ["?status=ON", "?sort=status", "?page=0", "?foo=1"]) t.equal((await k.viewer.get(`/api/admin/bus/routes${qs}`)).status, 422, qs);

  const patched = await k.operator.req("PATCH", `/api/admin/bus/routes/${r.id}`, { status: "ENABLED", description: null, trigger: { sourceServiceCode: "shop" } });
  t.equal(patched.status, 200, patched.text);
  t.match(patched.body.data, { status: "ENABLED", description: null, trigger: { eventType: "shop.item.created", sourceServiceCode: "shop" } });
  t.match(await k.audit("bus.route.updated"), [{ actor_type: "USER", target_id: r.id, metadata: { changes: { status: { from: "DISABLED", to: "ENABLED" }, sourceServiceCode: { from: null, to: "shop" } } } }]);

  const deleted = await k.operator.req("DELETE", `/api/admin/bus/routes/${r.id}`);
  t.same(deleted.body, { success: true });
  t.equal((await k.viewer.get(`/api/admin/bus/routes/${r.id}`)).status, 404);
  t.equal((await k.operator.req("DELETE", `/api/admin/bus/routes/${r.id}`)).body.error.code, "BUS_ROUTE_NOT_FOUND");
  t.same((await k.audit("bus.route.created")).length, 2);
  t.match(await k.audit("bus.route.deleted"), [{ target_id: r.id, metadata: { name: "Echo new items" } }]);
});

t.test("validation: bad bodies get 422 with issues, unknown ids 404", async (t) => {
  const k = await busKit(t);
  const good = echoRoute(k);
  const bad: [string, unknown, string][] = [
    ["no name", { ...good, name: "" }, "name"],
    ["unknown status", { ...good, status: "ON" }, "status"],
    ["bad event type", { ...good, trigger: { eventType: "has space" } }, "trigger.eventType"],
    ["bad service code", { ...good, action: { targetServiceCode: "Not Valid", actionName: "echo" } }, "action.targetServiceCode"],
    ["template not an object", { ...good, action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: "{{event.data}}" } }, "action.payloadTemplate"],
    ["unknown placeholder", { ...good, action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: { m: "{{event.dta.name}}" } } }, "action.payloadTemplate.m"],
    ["unknown field (typo)", { ...good, staus: "ENABLED" }, ""],
    ["unknown nested field", { ...good, trigger: { eventType: "a", source: "shop" } }, "trigger"],
    ["huge template", { ...good, action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: { m: "x".repeat(17 * 1024) } } }, "action.payloadTemplate"],
  ];
  for (const [why, body, path] of bad) {
    const r = await k.createRoute(body as Record<string, unknown>);
    t.equal(r.status, 422, why);
    t.equal(r.body.error.code, "VALIDATION_FAILED", why);
    t.same(r.body.error.details.issues.map((i: { path: string }) => i.path), [path], `${why}: the issue names "${path}"`);
  }
  const placeholder = await k.createRoute({ ...good, action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: { m: "{{event.dta.name}}" } } });
  t.equal(placeholder.body.error.details.issues[0].path, "action.payloadTemplate.m");
  const id = (await k.createRoute(good)).body.data.id;
  t.equal((await k.operator.req("PATCH", `/api/admin/bus/routes/${id}`, {})).status, 422, "empty patch");
  t.equal((await k.operator.req("PATCH", `/api/admin/bus/routes/${id}`, { action: { payloadTemplate: { m: "{{nope}}" } } })).status, 422);
  t.equal((await k.operator.req("PATCH", "/api/admin/bus/routes/brr_01ARZ3NDEKTSV4RRFFQ69G5FAV", { name: "x" })).status, 404);
  t.equal((await k.viewer.get("/api/admin/bus/routes/not-an-id")).status, 404);
  t.equal((await k.audit("bus.route.created")).length, 1, "refused creations leave nothing behind");
});

t.test("routes to confirm-required or HIGH actions need an explicit, audited confirmation", async (t) => {
  const k = await busKit(t);
  const high = { ...echoRoute(k), action: { targetServiceCode: "mailer", actionName: "restart" } };
  const refused = await k.createRoute(high);
  t.equal(refused.status, 422);
  t.equal(refused.body.error.code, "BUS_ROUTE_CONFIRMATION_REQUIRED");
  t.match(await k.audit("bus.route.updated"), [{ result: "FAILURE", metadata: { errorCode: "BUS_ROUTE_CONFIRMATION_REQUIRED" } }]);
  t.equal((await k.createRoute({ ...high, status: "DRY_RUN" })).status, 200, "DRY_RUN needs no confirmation: it runs nothing");

  const ok = await k.createRoute({ ...high, confirmed: true });
  t.equal(ok.status, 200);
  t.match(ok.body.data, { confirmed: true, confirmedByUserId: k.operator.userId, target: { dangerLevel: "HIGH", needsConfirmation: true } });
  t.match((await k.audit("bus.route.created")).at(-1), { metadata: { confirmed: true, actionName: "restart" } });
  const fired = await k.publish({ eventType: "shop.item.created", data: {} });
  t.match(fired.body.data.matchedRoutes.at(-1), { outcome: "COMMAND_CREATED" }, "a confirmed route runs the HIGH action");

  const id = ok.body.data.id;
  // editing what the route runs clears the confirmation, so an ENABLED route must be confirmed again
  const retarget = await k.operator.req("PATCH", `/api/admin/bus/routes/${id}`, { action: { actionName: "confirmMe" } });
  t.equal(retarget.status, 422);
  t.equal(retarget.body.error.code, "BUS_ROUTE_CONFIRMATION_REQUIRED");
  t.equal((await k.viewer.get(`/api/admin/bus/routes/${id}`)).body.data.action.actionName, "restart", "refused patch changed nothing");
  const disabled = await k.operator.req("PATCH", `/api/admin/bus/routes/${id}`, { status: "DISABLED", action: { actionName: "confirmMe" } });
  t.match(disabled.body.data, { status: "DISABLED", confirmed: false, confirmedAt: null });
  t.match((await k.audit("bus.route.updated")).at(-1), { metadata: { changes: { confirmed: { from: true, to: false } } } });
  const reconfirmed = await k.operator.req("PATCH", `/api/admin/bus/routes/${id}`, { status: "ENABLED", confirmed: true });
  t.match(reconfirmed.body.data, { status: "ENABLED", confirmed: true });
  t.match((await k.audit("bus.route.updated")).at(-1), { metadata: { confirmedBy: k.operator.userId } });
  // renaming keeps it
  t.equal((await k.operator.req("PATCH", `/api/admin/bus/routes/${id}`, { name: "renamed" })).body.data.confirmed, true);

  // a route saved before its target declared a HIGH action is still held back when it fires
  const early = await k.createRoute({ ...echoRoute(k), trigger: { eventType: "late" }, action: { targetServiceCode: "mailer", actionName: "later" } });
  t.equal(early.status, 200, "unknown targets can be saved");
  t.match(early.body.data.target, { actionFound: false, needsConfirmation: null });
  await k.target.agent.post(`/api/agents/${k.target.agentId}/services/report`, {
    services: [{ code: "mailer", name: "Mailer", manifest: { code: "mailer", name: "Mailer" }, actions: [{ name: "later", label: "Later", dangerLevel: "CRITICAL" }] }],
  });
  const late = await k.publish({ eventType: "late", data: {} });
  t.match(late.body.data.matchedRoutes, [{ outcome: "FAILED", errorCode: "ACTION_REQUIRES_CONFIRMATION" }]);
});

t.test("preview tests a definition against a sample event without saving or running anything", async (t) => {
  const k = await busKit(t);
  const preview = (body: Record<string, unknown>) => k.operator.post("/api/admin/bus/routes/preview", body);
  const def = { trigger: { eventType: "shop.item.created", sourceServiceCode: "shop" }, action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: { message: "{{event.data.item.name}}", tags: ["{{event.eventType}}", "{{event.data.none}}"] } } };
  const hit = await preview({ ...def, sampleEvent: { eventType: "shop.item.created", sourceServiceCode: "shop", data: { item: { name: "Lamp" } } } });
  t.equal(hit.status, 200, hit.text);
  t.same(hit.body.data, { matches: true, reasons: [], payload: { message: "Lamp", tags: ["shop.item.created", null] }, problems: [], wouldCreateCommand: true });

  const miss = await preview({ ...def, sampleEvent: { eventType: "shop.item.deleted", sourceServiceCode: "other", data: {} } });
  t.equal(miss.body.data.matches, false);
  t.equal(miss.body.data.reasons.length, 2);
  t.match(miss.body.data.problems, [{ code: "ACTION_PAYLOAD_INVALID" }], "the missing message is caught before the route is saved");

  const high = await preview({ ...def, action: { targetServiceCode: "mailer", actionName: "restart" }, sampleEvent: { eventType: "shop.item.created", sourceServiceCode: "shop" } });
  t.match(high.body.data.problems, [{ code: "BUS_ROUTE_CONFIRMATION_REQUIRED" }]);
  const ghost = await preview({ ...def, action: { targetServiceCode: "ghost", actionName: "x" }, sampleEvent: { eventType: "a", sourceServiceCode: "shop" } });
  t.match(ghost.body.data.problems, [{ code: "CAPSULE_SERVICE_NOT_FOUND" }]);
  t.equal((await preview({ ...def })).status, 422, "sample event required");
  t.equal(await k.commandCount(), 0);
  t.equal((await k.s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM bus_routes`))!.n, 0);
});

t.test("viewers read, operators manage", async (t) => {
  const k = await busKit(t);
  const id = (await k.createRoute(echoRoute(k))).body.data.id;
  t.equal((await k.viewer.post("/api/admin/bus/routes", echoRoute(k))).status, 403);
  t.equal((await k.viewer.req("PATCH", `/api/admin/bus/routes/${id}`, { name: "x" })).status, 403);
  t.equal((await k.viewer.req("DELETE", `/api/admin/bus/routes/${id}`)).status, 403);
  t.equal((await k.viewer.post("/api/admin/bus/routes/preview", {})).status, 403);
  t.equal((await k.viewer.get("/api/admin/bus/events")).status, 200);
  t.equal((await k.s.anon.get("/api/admin/bus/routes")).status, 401);
  t.equal((await k.source.agent.get("/api/admin/bus/routes")).status, 401, "agent tokens are refused on the admin API");
});
