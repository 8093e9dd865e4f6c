// The notifications page with JavaScript off: an owner adds an endpoint (secret shown once), sends a
// test, sees the delivery log, redelivers, edits and deletes; a forbidden URL re-renders the form with
// 422; viewers and operators see no Notifications entry and get 403; names are escaped.
import t from "tap";
import { sleep, startTestServer } from "../helpers.js";
import { startReceiver, verifyStandardWebhook } from "../notifications/_receiver.js";
import { HOSTILE, assertEscaped, loginBrowser } from "./_browser.js";

t.setTimeout(120_000);

t.test("owner manages endpoints from the console without JavaScript", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_WEBHOOK_ALLOWED_CIDRS: "127.0.0.1/32", CAPSTAN_WEBHOOK_DELIVERY_INTERVAL_SECONDS: "0.1" } });
  const rx = await startReceiver(t);
  const b = await loginBrowser(s, "owner");
  const list = await b.get("/notifications");
  t.equal(list.status, 200);
  t.match(list.text, /No endpoints yet/);
  t.match(list.text, /<a href="\/notifications" aria-current="page">Notifications<\/a>/, "in the owner's navigation");

  const refused = await b.post("/notifications", { name: "lan", url: "http://10.0.0.5/hook", events: ["command.failed"], enabled: "true" });
  t.equal(refused.status, 422);
  t.match(refused.text, /webhook target refused/);
  t.match(refused.text, /value="http:\/\/10.0.0.5\/hook"/, "typed values kept");

  const created = await b.post("/notifications", { name: HOSTILE, url: `${rx.url}/c`, format: "standard", events: ["command.failed", "agent.offline"], enabled: "true" });
  t.equal(created.status, 303, created.text.slice(0, 300));
  const detail = await b.follow(created);
  t.equal(detail.status, 200);
  assertEscaped(t, detail.text, "endpoint detail");
  const secret = /id="secret-value" class="secret" type="text" readonly value="(whsec_[^"]+)"/.exec(detail.text)?.[1];
  t.ok(secret, "the signing secret is shown once");
  const again = await b.get(created.location!);
  t.notMatch(again.text, /whsec_/, "and never again");
  t.match(again.text, /<input type="checkbox" name="events" value="command.failed" checked>/);

  const tested = await b.post(`${created.location!}/test`);
  t.equal(tested.status, 303);
  const [got] = await rx.waitFor(1);
  t.equal(verifyStandardWebhook(secret!, got!.headers, got!.body), null, "the secret from the page verifies the delivery");
  let log = await b.get(created.location!);
  for (let i = 0; i < 100 && !/DELIVERED/.test(log.text); i++) {
    await sleep(50);
    log = await b.get(created.location!);
  }
  t.match(log.text, /<code>webhook.test<\/code>/);
  t.match(log.text, /DELIVERED/);
  t.match(log.text, /HTTP 200/);
  const deliveryId = /action="\/notifications\/deliveries\/(whd_\w+)\/redeliver"/.exec(log.text)?.[1];
  t.ok(deliveryId, "a redeliver button per delivery");
  const re = await b.post(`/notifications/deliveries/${deliveryId}/redeliver`);
  t.equal(re.status, 303);
  t.equal(re.location, created.location);
  await rx.waitFor(2);

  const saved = await b.post(created.location!, { name: "ops", url: `${rx.url}/c`, format: "slack", events: ["command.expired"] });
  t.equal(saved.status, 303);
  const after = await b.follow(saved);
  t.match(after.text, /saved \(disabled\)/, "an unticked Enabled box disables");
  t.match(after.text, /<option value="slack" selected>/);
  const disabledTest = await b.follow(await b.post(`${created.location!}/test`));
  t.match(disabledTest.text, /the endpoint is disabled; enable it to send a test/, "a test of a disabled endpoint says why not");

  const gone = await b.post(`${created.location!}/delete`);
  t.equal(gone.status, 303);
  t.equal(gone.location, "/notifications");
  t.equal((await b.get(created.location!)).status, 404);
});

t.test("operators and viewers do not see or reach notifications", async (t) => {
  const s = await startTestServer(t);
  for (const role of ["viewer", "operator"] as const) {
    const b = await loginBrowser(s, role);
    t.notMatch((await b.get("/")).text, /href="\/notifications"/, `${role}: no navigation entry`);
    t.equal((await b.get("/notifications")).status, 403, `${role}: 403`);
  }
});
