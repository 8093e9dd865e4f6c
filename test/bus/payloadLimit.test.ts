// A route's rendered payload is bounded by the body limit: what an operator could never send, a
// route cannot write either. Rendering stops as soon as the running size passes the limit, so a
// template repeating a large field cannot turn one event into megabytes.
import t from "tap";
import { renderPayload } from "../../src/domain/bus/template.js";
import { busKit, echoRoute } from "./_kit.js";

const LIMIT = 1_048_576;
const big = "x".repeat(500_000);
/** The events endpoint takes 64 KiB bodies: 60 KB x 50 references would render 3 MB. */
const field = "z".repeat(60_000);
const amplifying = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`copy${i}`, "{{event.data.big}}"]));

t.test("rendering stops early, once the running size passes the limit", async (t) => {
  let reads = 0;
  const data = new Proxy({ big }, { get: (o, k) => (k === "big" && reads++, Reflect.get(o, k)) });
  const started = performance.now();
  t.throws(() => renderPayload(amplifying, { eventId: "bev_X", eventType: "e", sourceServiceCode: "s", data }, LIMIT), { code: "BUS_PAYLOAD_TOO_LARGE" });
  t.ok(reads <= 3, `stopped after ${reads} of 50 references (500 KB each, limit 1 MiB)`);
  t.ok(performance.now() - started < 200, "without building 25 MB first");
  const ok = renderPayload({ one: "{{event.data.big}}" }, { eventId: "bev_X", eventType: "e", sourceServiceCode: "s", data: { big } }, LIMIT);
  t.equal(ok.one, big, "one reference within the limit renders");
});

t.test("an amplifying route fails the match instead of writing megabytes", async (t) => {
  const k = await busKit(t);
  const enabled = await k.createRoute(echoRoute(k, { name: "amplify", action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: { message: "m", ...amplifying } } }));
  t.equal(enabled.status, 200);
  const dry = await k.createRoute(echoRoute(k, { name: "amplify dry", status: "DRY_RUN", action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: amplifying } }));
  t.equal(dry.status, 200);
  const before = await k.commandCount();
  const res = await k.publish({ eventType: "shop.item.created", data: { name: "n", big: field } });
  t.equal(res.status, 200, `the event is recorded: ${res.text.slice(0, 300)}`);
  t.equal(res.body.data.matchedRoutes.length, 2, "both routes matched");
  for (const m of res.body.data.matchedRoutes) t.match(m, { outcome: "FAILED", errorCode: "BUS_PAYLOAD_TOO_LARGE" }, `${m.routeName}: failed, BUS_PAYLOAD_TOO_LARGE`);
  t.equal(await k.commandCount(), before, "no command was written");
  t.equal((await k.audit("bus.route.failed")).filter((a) => a.metadata.errorCode === "BUS_PAYLOAD_TOO_LARGE").length, 2, "each failure is audited");
  const size = (await k.s.db.get<{ n: number }>(`SELECT SUM(LENGTH(metadata_json)) AS n FROM audit_events`))!.n;
  t.ok(size < 2_000_000, `the audit trail stays small (${size} bytes)`);

  const preview = await k.operator.post("/api/admin/bus/routes/preview", {
    trigger: { eventType: "shop.item.created", sourceServiceCode: "shop" }, action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: amplifying },
    sampleEvent: { eventType: "shop.item.created", sourceServiceCode: "shop", data: { big: field } },
  });
  t.equal(preview.status, 422, `the preview refuses it too: ${preview.text.slice(0, 200)}`);
  t.equal(preview.body.error?.code, "BUS_PAYLOAD_TOO_LARGE");
});

t.test("a rendered payload over a configured body limit is refused; under it, the command is created", async (t) => {
  const k = await busKit(t, { CAPSTAN_BODY_LIMIT_BYTES: "65536" });
  const field = "y".repeat(40_000);
  const twice = await k.createRoute(echoRoute(k, { name: "twice", action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: { message: "{{event.data.f}}", again: "{{event.data.f}}" } } }));
  t.equal(twice.status, 200);
  const once = await k.createRoute(echoRoute(k, { name: "once", action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: { message: "{{event.data.f}}" } } }));
  t.equal(once.status, 200);
  const res = await k.publish({ eventType: "shop.item.created", data: { f: field } });
  t.equal(res.status, 200);
  const by = Object.fromEntries(res.body.data.matchedRoutes.map((m: { routeName: string }) => [m.routeName, m]));
  t.match(by.twice, { outcome: "FAILED", errorCode: "BUS_PAYLOAD_TOO_LARGE" }, "80 KB rendered > 64 KB limit: refused");
  t.match(by.once, { outcome: "COMMAND_CREATED" }, "40 KB rendered: created");
  t.equal(res.body.data.commandIds.length, 1, "exactly one command");
});
