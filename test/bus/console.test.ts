// The Bus console pages, as a browser without JavaScript and as htmx: routes (create, 422 form errors,
// confirmation, status, preview, delete), events with outcomes and commands, and hidden when off.
import t from "tap";
import { registerTestAgent, reportedService } from "../fixtures.js";
import { startTestServer } from "../helpers.js";
import { assertEscaped, HOSTILE, loginBrowser } from "../console/_browser.js";
import { busKit } from "./_kit.js";

const FORM = {
  name: "Mail new items", description: "", status: "ENABLED", "trigger.eventType": "shop.item.created", "trigger.sourceServiceCode": "shop",
  "action.targetServiceCode": "mailer", "action.actionName": "echo", "action.payloadTemplate": '{"message": "{{event.data.name}}"}',
};

t.test("an operator creates, tests, toggles and deletes a route in the console", async (t) => {
  const k = await busKit(t);
  const op = await loginBrowser(k.s, "operator");
  const list = await op.get("/bus/routes");
  t.equal(list.status, 200);
  t.match(list.text, 'href="/bus/routes" aria-current="page"', "Bus is in the navigation");
  t.match(list.text, 'id="bus-route-rows"');
  t.match(list.text, "No routes yet");
  t.match((await op.get("/bus/routes/new")).text, 'id="bus-route-form"');

  // a bad template comes back as the form with 422, values kept, the message on the field
  const bad = await op.post("/bus/routes", { ...FORM, "action.payloadTemplate": '{"message": "{{event.dta.name}}"}' });
  t.equal(bad.status, 422);
  t.match(bad.text, /class="field-error">unknown placeholder/);
  t.match(bad.text, 'value="Mail new items"');
  t.equal((await op.post("/bus/routes", { ...FORM, "action.payloadTemplate": "{nope" })).status, 422, "JSON that does not parse");

  const created = await op.post("/bus/routes", FORM);
  t.equal(created.status, 303, created.text.slice(0, 300));
  const detail = await op.follow(created);
  t.match(detail.text, "Mail new items");
  t.match(detail.text, 'id="bus-route-facts"');
  t.match(detail.text, "shop.item.created from shop");
  const id = /\/bus\/routes\/(brr_[0-9A-Z]{26})/.exec(created.location!)![1]!;

  // the route works: an event becomes a command, visible on the events page with its command
  const ev = await k.publish({ eventType: "shop.item.created", data: { name: "Teapot" } });
  const events = await op.get("/bus/events");
  t.match(events.text, `id="bus-event-${ev.body.data.eventId}"`);
  t.match(events.text, "DISPATCHED");
  t.match(events.text, `href="/commands/${ev.body.data.commandIds[0]}"`);
  t.match(events.text, 'hx-trigger="every 3s"', "refreshes while its command is PENDING");
  const frag = await op.get("/bus/events?outcome=UNMATCHED", { hx: true });
  t.match(frag.text, /^<div id="bus-event-rows">/, "htmx gets the rows fragment");
  t.match(frag.text, "No events match this filter");
  t.equal(frag.headers.get("vary"), "HX-Request");
  const one = await op.get(`/bus/events/${ev.body.data.eventId}`);
  t.match(one.text, 'id="bus-event-data"');
  t.match(one.text, "Teapot");

  // test against a sample event: htmx gets the preview fragment, a plain post the whole form page
  const sample = { ...FORM, routeId: id, "sampleEvent.data": '{"name": "Lamp"}' };
  const hx = await op.post("/bus/routes/preview", sample, { hx: true });
  t.equal(hx.status, 200);
  t.match(hx.text, /^<div id="bus-preview"/);
  t.match(hx.text, "WOULD RUN");
  t.match(hx.text, "&quot;message&quot;: &quot;Lamp&quot;");
  const plain = await op.post("/bus/routes/preview", { ...sample, "sampleEvent.eventType": "other.type" });
  t.match(plain.text, 'id="bus-route-form"');
  t.match(plain.text, "NO MATCH");
  t.match((await op.post("/bus/routes/preview", { ...sample, "sampleEvent.data": "{" }, { hx: true })).text, "Cannot test");

  // status buttons; enabling a HIGH target without confirmation sends the operator to the form
  t.equal((await op.post(`/bus/routes/${id}/status`, { status: "DRY_RUN", back: "list" })).location, "/bus/routes");
  t.equal((await k.viewer.get(`/api/admin/bus/routes/${id}`)).body.data.status, "DRY_RUN");
  const toHigh = await op.post(`/bus/routes/${id}`, { ...FORM, status: "ENABLED", "action.actionName": "restart", "action.payloadTemplate": "" });
  t.equal(toHigh.status, 422);
  t.match(toHigh.text, "tick this to allow the route to run this action");
  const confirmed = await op.post(`/bus/routes/${id}`, { ...FORM, status: "ENABLED", "action.actionName": "restart", "action.payloadTemplate": "", confirmed: "on" });
  t.equal(confirmed.status, 303);
  t.match((await k.viewer.get(`/api/admin/bus/routes/${id}`)).body.data, { confirmed: true, status: "ENABLED", action: { actionName: "restart", payloadTemplate: null } });
  const disabled = await op.post(`/bus/routes/${id}/status`, { status: "DISABLED" });
  t.equal(disabled.location, `/bus/routes/${id}`);

  const gone = await op.post(`/bus/routes/${id}/delete`, {});
  t.equal(gone.location, "/bus/routes");
  t.match((await op.follow(gone)).text, "deleted");
  t.equal((await op.get(`/bus/routes/${id}`)).status, 404);
  t.equal((await op.get("/bus/routes/not-an-id")).status, 404);
});

t.test("viewers read the bus pages but get no forms", async (t) => {
  const k = await busKit(t);
  const id = (await k.createRoute({ name: "R", trigger: { eventType: "a.b" }, action: { targetServiceCode: "mailer", actionName: "echo" } })).body.data.id;
  const viewer = await loginBrowser(k.s, "viewer");
  const list = await viewer.get("/bus/routes");
  t.equal(list.status, 200);
  t.notMatch(list.text, "/bus/routes/new");
  t.notMatch(list.text, `action="/bus/routes/${id}/status"`);
  const detail = await viewer.get(`/bus/routes/${id}`);
  t.equal(detail.status, 200);
  t.notMatch(detail.text, 'id="bus-route-form"');
  t.equal((await viewer.get("/bus/events")).status, 200);
  t.equal((await viewer.get("/bus/routes/new")).status, 403);
  t.equal((await viewer.post(`/bus/routes/${id}/status`, { status: "ENABLED" })).status, 403);
});

t.test("with the bus off the console hides it", async (t) => {
  const s = await startTestServer(t);
  await registerTestAgent(s);
  const op = await loginBrowser(s, "operator");
  t.notMatch((await op.get("/")).text, 'href="/bus/routes"', "no Bus navigation entry");
  for (const p of ["/bus/routes", "/bus/events", "/bus/routes/new"]) t.equal((await op.get(p)).status, 404, p);
  t.equal((await op.post("/bus/routes", FORM)).status, 404);
});

t.test("the service page shows capabilities (linked to the filtered list), events and permissions", async (t) => {
  const s = await startTestServer(t);
  const a = await registerTestAgent(s, { serviceCode: "meta" });
  await a.agent.post(`/api/agents/${a.agentId}/services/report`, {
    services: [reportedService("meta", { manifest: {
      capabilities: ["llm.chat", { name: "demo.echo", label: "Echo" }],
      events: [{ name: "demo.item.created", direction: "publish", description: "an item was created" }],
      permissions: [{ name: "items.write", description: "creates items" }],
    } })],
  });
  const viewer = await loginBrowser(s, "viewer");
  const page = (await viewer.get(`/services/${a.serviceId}`)).text;
  t.match(page, 'href="/services?capability=demo.echo"');
  t.match(page, ">Echo</a>");
  t.match(page, /id="service-events">.*demo\.item\.created.*\(publish\).*an item was created/s);
  t.match(page, /id="service-permissions">.*items\.write.*creates items/s);
  const filtered = await viewer.get("/services?capability=demo.echo");
  t.equal(filtered.status, 200);
  t.match(filtered.text, `href="/services/${a.serviceId}"`);
  t.notMatch((await viewer.get("/services?capability=demo")).text, `href="/services/${a.serviceId}"`);
});

t.test("whatever routes and events carry is shown escaped", async (t) => {
  const k = await busKit(t);
  const r = await k.createRoute({
    name: HOSTILE, description: HOSTILE, status: "ENABLED", trigger: { eventType: "shop.item.created" },
    action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: { message: "{{event.data.name}}", note: HOSTILE } },
  });
  const ev = await k.publish({ eventType: "shop.item.created", eventId: HOSTILE, data: { name: HOSTILE }, metadata: { correlationId: HOSTILE } });
  await k.publish({ eventType: "shop.item.created", data: {} }); // fails: no message, with a message naming the path
  const op = await loginBrowser(k.s, "operator");
  for (const p of ["/bus/routes", `/bus/routes/${r.body.data.id}`, "/bus/events", `/bus/events/${ev.body.data.eventId}`]) {
    const res = await op.get(p);
    t.equal(res.status, 200, p);
    assertEscaped(t as any, res.text, p);
  }
  const preview = await op.post("/bus/routes/preview", { ...FORM, "sampleEvent.data": JSON.stringify({ name: HOSTILE }) }, { hx: true });
  assertEscaped(t as any, preview.text, "preview");
});
