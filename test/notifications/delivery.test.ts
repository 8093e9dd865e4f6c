// The delivery worker: retry schedule with per-endpoint order (a failing head holds back later
// messages), auto-disable after continuous failure (audited, shown as needing attention), a slow
// receiver never slowing the request that caused the event, and (PostgreSQL) two nodes never
// delivering one message twice. Time moves with an injected clock, so no test waits out a backoff.
import t from "tap";
import { manualClock } from "../commandKit.js";
import { sleep, startTestServer, type Client } from "../helpers.js";
import { onPostgres, postgresOnly } from "../testDb.js";
import { deliveriesOf, startReceiver, until } from "./_receiver.js";

const ENV = { CAPSTAN_WEBHOOK_ALLOWED_CIDRS: "127.0.0.1/32", CAPSTAN_WEBHOOK_DELIVERY_INTERVAL_SECONDS: "0.1" };
t.setTimeout(180_000);

t.test("retry schedule and per-endpoint order: later messages wait for the failing head", async (t) => {
  const clock = manualClock();
  const s = await startTestServer(t, { env: ENV, now: clock.now });
  const rx = await startReceiver(t);
  const owner = await s.loginAs("owner");
  const { id } = (await owner.post("/api/admin/webhooks", { name: "o", url: rx.url, events: ["command.failed"] })).body.data;
  rx.behave((_r, n) => (n <= 2 ? { status: 503, body: "busy" } : { status: 204 }));
  const msgs: string[] = [];
  for (let i = 0; i < 3; i++) msgs.push((await owner.post(`/api/admin/webhooks/${id}/test`)).body.data.messageId);

  await rx.waitFor(1);
  const head = await until("first attempt recorded", async () => (await deliveriesOf(owner, id)).find((d) => d.messageId === msgs[0] && d.attempts === 1));
  t.equal(head.status, "PENDING");
  t.equal(head.responseStatus, 503);
  t.equal(head.responseExcerpt, "busy");
  t.equal(Date.parse(head.nextAttemptAt) - Date.parse(head.lastAttemptAt), 5_000, "second attempt 5 s later");
  await sleep(500);
  t.equal(rx.received.length, 1, "nothing behind the failing head is sent (one in flight per endpoint, in order)");

  clock.advance(5);
  await rx.waitFor(2);
  const again = await until("second attempt recorded", async () => (await deliveriesOf(owner, id)).find((d) => d.messageId === msgs[0] && d.attempts === 2));
  t.equal(Date.parse(again.nextAttemptAt) - Date.parse(again.lastAttemptAt), 300_000, "third attempt 5 min later");
  await sleep(300);
  t.equal(rx.received.length, 2);

  clock.advance(300);
  const all = await rx.waitFor(5);
  t.same(all.map((r) => r.headers["webhook-id"]), [msgs[0], msgs[0], msgs[0], msgs[1], msgs[2]], "retries keep the webhook-id; order holds");
  const log = await until("all delivered", async () => {
    const d = await deliveriesOf(owner, id);
    return d.every((x) => x.status === "DELIVERED") && d;
  });
  t.same(log.map((d: any) => d.attempts), [1, 1, 3], "newest first: two first-time deliveries after the head's third attempt");
  const ep = (await owner.get(`/api/admin/webhooks/${id}`)).body.data;
  t.equal(ep.health, "HEALTHY", "a success clears the failure state");
  t.equal(ep.failingSince, null);
});

t.test("an endpoint failing continuously for 3 days is disabled, audited and listed as needing attention", async (t) => {
  const clock = manualClock();
  const s = await startTestServer(t, { env: ENV, now: clock.now });
  const rx = await startReceiver(t);
  rx.behave(() => ({ status: 500 }));
  // an API token, not a session: the clock jumps past the session lifetime
  const token = (await (await s.loginAs("owner")).post("/api/admin/api-tokens", { name: "t" })).body.data.rawToken as string;
  const owner = s.clientWith({ token });
  const { id } = (await owner.post("/api/admin/webhooks", { name: "dead-end", url: rx.url, events: ["command.failed"] })).body.data;
  await owner.post(`/api/admin/webhooks/${id}/test`);
  await rx.waitFor(1);
  const failing = await until("failing", async () => {
    const ep = (await owner.get(`/api/admin/webhooks/${id}`)).body.data;
    return ep.health === "FAILING" && ep;
  });
  t.ok(failing.failingSince);
  t.equal(failing.enabled, true, "one failure does not disable");
  const page = await owner.req("GET", "/", undefined, { accept: "text/html" });
  t.match(page.text, /id="webhook-attention"[\s\S]*FAILING<\/span> <a href="\/notifications\/whe_\w+">dead-end<\/a> — failing since/, "a failing endpoint shows on the dashboard");

  clock.advance(3 * 86_400 + 1);
  await rx.waitFor(2);
  const disabled = await until("disabled", async () => {
    const ep = (await owner.get(`/api/admin/webhooks/${id}`)).body.data;
    return ep.health === "DISABLED" && ep;
  });
  t.equal(disabled.enabled, false);
  t.match(disabled.disabledReason, /failing continuously since/);
  const audit = await s.db.all<{ actor_type: string; result: string }>(`SELECT actor_type, result FROM audit_events WHERE action = 'webhook.endpoint.disabled' AND target_id = ?`, [id]);
  t.same(audit, [{ actor_type: "SYSTEM", result: "FAILURE" }], "the owner is told through the audit trail");
  await sleep(500);
  t.equal(rx.received.length, 2, "nothing more is sent to a disabled endpoint");
  t.match((await owner.req("GET", "/", undefined, { accept: "text/html" })).text, /id="webhook-attention"[\s\S]*DISABLED<\/span> <a [^>]+>dead-end<\/a> — disabled after failing continuously/, "still listed as needing attention");

  // enabling it again clears the failure state and delivery resumes (the pending message goes again)
  rx.behave(() => ({ status: 200 }));
  const on = await owner.req("PATCH", `/api/admin/webhooks/${id}`, { enabled: true });
  t.equal(on.body.data.health, "HEALTHY");
  await rx.waitFor(3);
});

t.test("a slow receiver never slows the request that caused the event", async (t) => {
  const s = await startTestServer(t, { env: { ...ENV, CAPSTAN_WEBHOOK_TIMEOUT_SECONDS: "30" } });
  const rx = await startReceiver(t);
  rx.behave(() => "hold");
  const owner = await s.loginAs("owner");
  const { id } = (await owner.post("/api/admin/webhooks", { name: "slow", url: rx.url, events: ["agent.online", "service.unhealthy"] })).body.data;
  await owner.post(`/api/admin/webhooks/${id}/test`);
  await rx.waitFor(1); // the receiver now holds a delivery in flight
  // each of these writes an audit event that enqueues a delivery for the held endpoint
  for (let i = 0; i < 5; i++) {
    const res = await owner.post(`/api/admin/webhooks/${id}/test`);
    t.equal(res.status, 200, "answered while the receiver still holds the first delivery");
  }
  t.equal(rx.received.length, 1, "the receiver has not answered, and nothing behind the held delivery was sent");
  const pending = (await owner.get(`/api/admin/webhooks/${id}/deliveries`)).body.data.filter((d: any) => d.status === "PENDING");
  t.equal(pending.length, 6, "all queued in the outbox");
  rx.behave(() => ({ status: 200 }));
  rx.release();
  const all = await rx.waitFor(6);
  t.same(new Set(all.map((r) => r.headers["webhook-id"])).size, 6, "then each queued message once");
  await until("drained", async () => (await deliveriesOf(owner, id)).every((d) => d.status === "DELIVERED"));
});

t.test("two nodes on one database never deliver a message twice", postgresOnly("several nodes share one database only on PostgreSQL"), async (t) => {
  t.ok(onPostgres);
  const a = await startTestServer(t, { env: ENV });
  const b = await startTestServer(t, { env: ENV, sameDatabaseAs: a });
  const rx = await startReceiver(t);
  const owner = await a.loginAs("owner");
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await owner.post("/api/admin/webhooks", { name: `n${i}`, url: `${rx.url}/${i}`, events: ["command.failed"] })).body.data.id);
  for (let round = 0; round < 5; round++) for (const id of ids) await owner.post(`/api/admin/webhooks/${id}/test`);
  await rx.waitFor(15);
  await sleep(1_500);
  const byId = new Map<string, number>();
  for (const r of rx.received) byId.set(String(r.headers["webhook-id"]), (byId.get(String(r.headers["webhook-id"])) ?? 0) + 1);
  t.equal(rx.received.length, 15, "15 messages, 15 requests");
  t.same([...byId.values()].filter((n) => n > 1), [], "no webhook-id delivered twice");
  t.ok(a.app.runtime.webhooks.attempts + b.app.runtime.webhooks.attempts === 15, "both nodes' attempts add up to the messages");
});
