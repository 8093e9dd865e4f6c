// /api/admin/webhooks: endpoints (owner only), the secret shown once and stored sealed, Standard
// Webhooks signatures checked by an independent verifier, the Slack format, events derived from the
// audit trail (agent offline / back online via the maintenance sweep and heartbeats, service DOWN),
// redirects not followed, bounded response reads, and egress refused by default.
import t from "tap";
import { manualClock } from "../commandKit.js";
import { registerTestAgent } from "../fixtures.js";
import { sleep, startTestServer, type Client, type TestServer } from "../helpers.js";
import { deliveriesOf, startReceiver, until, verifyStandardWebhook, type Receiver } from "../notifications/_receiver.js";
import { databaseText } from "../testDb.js";

const ALLOW_LOCAL = { CAPSTAN_WEBHOOK_ALLOWED_CIDRS: "127.0.0.1/32", CAPSTAN_WEBHOOK_DELIVERY_INTERVAL_SECONDS: "0.1" };
t.setTimeout(120_000);

async function createEndpoint(owner: Client, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await owner.post("/api/admin/webhooks", body);
  if (res.status !== 200) throw new Error(`create webhook: ${res.status} ${res.text}`);
  return res.body.data;
}

t.test("secret shown once, stored sealed; test message signed per Standard Webhooks (independent verifier)", async (t) => {
  const s = await startTestServer(t, { env: ALLOW_LOCAL });
  const rx = await startReceiver(t);
  const owner = await s.loginAs("owner");
  const created = await owner.post("/api/admin/webhooks", { name: "ops", url: `${rx.url}/hook`, events: ["agent.offline"] });
  t.equal(created.status, 200, created.text);
  const { id, secret } = created.body.data;
  t.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  t.ok(Buffer.from(secret.slice(6), "base64").length >= 24, "at least 24 random bytes");
  t.equal(created.body.data.format, "standard");
  t.notOk("secret" in (await owner.get(`/api/admin/webhooks/${id}`)).body.data, "detail never shows the secret");
  t.notOk((await owner.get("/api/admin/webhooks")).text.includes(secret), "list never shows it");
  const row = await s.db.get<{ secret_sealed: string }>(`SELECT secret_sealed FROM webhook_endpoints WHERE id = ?`, [id]);
  t.notOk(row!.secret_sealed.includes(secret.slice(6)), "stored sealed, not raw");
  t.notOk(s.logs.join("\n").includes(secret.slice(6)), "never logged");
  t.notOk(databaseText(s).includes(secret.slice(6)), "nowhere in the database (file and WAL, or pg_dump)");

  const test = await owner.post(`/api/admin/webhooks/${id}/test`);
  t.equal(test.status, 200);
  t.equal(test.body.data.eventType, "webhook.test");
  const [got] = await rx.waitFor(1);
  t.equal(got!.path, "/hook");
  t.equal(got!.headers["content-type"], "application/json");
  t.equal(verifyStandardWebhook(secret, got!.headers, got!.body), null, "signature verifies");
  t.equal(verifyStandardWebhook(secret, got!.headers, got!.body + " "), "no matching signature", "a changed body does not");
  t.equal(verifyStandardWebhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`, got!.headers, got!.body), "no matching signature", "another secret does not");
  t.equal(got!.headers["webhook-id"], test.body.data.messageId, "webhook-id is the message id");
  const body = JSON.parse(got!.body);
  t.same(Object.keys(body).sort(), ["data", "timestamp", "type"]);
  t.equal(body.type, "webhook.test");
  const log = await until("delivered", async () => (await deliveriesOf(owner, id)).find((d) => d.status === "DELIVERED"));
  t.equal(log.attempts, 1);
  t.equal(log.responseStatus, 200);
  t.equal(log.responseExcerpt, "ok");
  t.type(log.durationMs, "number");

  // redeliver: the same webhook-id and body, a fresh signature
  const again = await owner.post(`/api/admin/webhooks/deliveries/${log.id}/redeliver`);
  t.equal(again.status, 200);
  t.not(again.body.data.id, log.id);
  const [, second] = await rx.waitFor(2);
  t.equal(second!.headers["webhook-id"], got!.headers["webhook-id"]);
  t.equal(second!.body, got!.body);
  t.equal(verifyStandardWebhook(secret, second!.headers, second!.body), null);
  const audit = await s.db.all<{ action: string }>(`SELECT action FROM audit_events WHERE target_id = ? ORDER BY id`, [id]);
  t.same(audit.map((a) => a.action), ["webhook.endpoint.created", "webhook.endpoint.tested", "webhook.delivery.redelivered"]);
});

t.test("events come from the audit trail: agent offline (maintenance sweep), back online, service DOWN; Slack format", async (t) => {
  const clock = manualClock();
  const s = await startTestServer(t, { env: ALLOW_LOCAL, now: clock.now });
  const std = await startReceiver(t);
  const slack = await startReceiver(t);
  const owner = await s.loginAs("owner");
  const { secret } = await createEndpoint(owner, { name: "all", url: std.url, events: ["agent.offline", "agent.online", "service.unhealthy", "service.recovered"] });
  await createEndpoint(owner, { name: "chat", url: slack.url, format: "slack", events: ["agent.offline"] });
  const reg = await registerTestAgent(s, { code: "edge-1" });

  clock.advance(s.config.agentOfflineThresholdSeconds + 5);
  t.equal((await owner.post("/api/admin/maintenance/run")).status, 200);
  const [offline] = await std.waitFor(1);
  t.equal(verifyStandardWebhook(secret, offline!.headers, offline!.body, clock.now().getTime()), null);
  const ev = JSON.parse(offline!.body);
  t.equal(ev.type, "agent.offline");
  t.equal(ev.data.target.id, reg.agentId);
  t.match(ev.data.summary, /Agent edge-1 went offline/);

  const [msg] = await slack.waitFor(1);
  const sl = JSON.parse(msg!.body);
  t.match(sl.text, /^\[Capstan\] Agent edge-1 went offline/, "Slack incoming-webhook text");
  t.equal(verifyStandardWebhook(secret, msg!.headers, msg!.body, clock.now().getTime()), "no matching signature", "signed with its own secret, not another endpoint's");
  t.equal(sl.blocks[0].type, "section");
  t.equal(sl.blocks[0].text.type, "mrkdwn");

  t.equal((await reg.agent.post(`/api/agents/${reg.agentId}/heartbeat`, {})).status, 200);
  const [, online] = await std.waitFor(2);
  t.equal(JSON.parse(online!.body).type, "agent.online", "coming back is notified (even inside the heartbeat sample window)");

  // health: first report UP is baseline; DOWN notifies service.unhealthy; UP again service.recovered
  const hb = (status: string) => reg.agent.post(`/api/agents/${reg.agentId}/heartbeat`, { serviceId: reg.serviceId, health: { status } });
  t.equal((await hb("UP")).status, 200);
  t.equal((await hb("DOWN")).status, 200);
  const [, , down] = await std.waitFor(3);
  t.equal(JSON.parse(down!.body).type, "service.unhealthy");
  t.equal((await hb("UP")).status, 200);
  const [, , , up] = await std.waitFor(4);
  t.equal(JSON.parse(up!.body).type, "service.recovered");
  await sleep(300);
  t.equal(slack.received.length, 1, "the Slack endpoint got only what it subscribed to");
});

t.test("egress is refused by default: loopback, private, link-local, mapped, unspecified; http(s) only", async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  for (const url of ["http://127.0.0.1:9/x", "http://localhost:9/", "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data", "http://[::1]/",
    "http://[::ffff:127.0.0.1]/", "http://[fd00::1]/", "http://0.0.0.0/", "http://192.168.1.1/"]) {
    const res = await owner.post("/api/admin/webhooks", { name: "x", url, events: ["command.failed"] });
    t.equal(res.status, 422, url);
    t.equal(res.body.error?.code, "WEBHOOK_URL_FORBIDDEN", url);
  }
  const ftp = await owner.post("/api/admin/webhooks", { name: "x", url: "ftp://example.com/", events: ["command.failed"] });
  t.equal(ftp.status, 422);
  t.equal(ftp.body.error.code, "VALIDATION_FAILED");
  const badEvent = await owner.post("/api/admin/webhooks", { name: "x", url: "https://example.com/", events: ["no.such.event"] });
  t.equal(badEvent.body.error.code, "VALIDATION_FAILED");
  t.equal((await (await s.loginAs("operator")).get("/api/admin/webhooks")).status, 403, "operators cannot see endpoints");
  t.equal((await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM webhook_endpoints`))!.n, 0);
});

t.test("redirects are not followed; response reads are bounded", async (t) => {
  const s = await startTestServer(t, { env: ALLOW_LOCAL });
  const rx: Receiver = await startReceiver(t);
  const owner = await s.loginAs("owner");
  const redirect = await createEndpoint(owner, { name: "r", url: `${rx.url}/first`, events: ["command.failed"] });
  rx.behave((r) => (r.path === "/first" ? { status: 302, headers: { location: `${rx.url}/second` } } : { status: 200 }));
  await owner.post(`/api/admin/webhooks/${redirect.id}/test`);
  const d = await until("attempted", async () => (await deliveriesOf(owner, redirect.id)).find((x) => x.attempts > 0));
  t.equal(d.status, "PENDING", "a redirect is a failed attempt, retried later");
  t.equal(d.responseStatus, 302);
  t.match(d.error, /redirect \(302\) not followed/);
  await sleep(300);
  t.same(rx.received.map((r) => r.path), ["/first"], "the Location was never requested");

  const big = await createEndpoint(owner, { name: "big", url: `${rx.url}/big`, events: ["command.failed"] });
  rx.behave(() => ({ status: 200, body: "x".repeat(2_000_000) }));
  await owner.post(`/api/admin/webhooks/${big.id}/test`);
  const b = await until("delivered", async () => (await deliveriesOf(owner, big.id)).find((x) => x.status === "DELIVERED"));
  t.equal(b.responseExcerpt.length, 1024, "the log keeps a bounded excerpt");
});

t.test("PATCH, DELETE and unknown ids", async (t) => {
  const s: TestServer = await startTestServer(t, { env: ALLOW_LOCAL });
  const owner = await s.loginAs("owner");
  const { id } = await createEndpoint(owner, { name: "a", url: "http://127.0.0.1:9/", events: ["command.failed"], enabled: false });
  const p = await owner.req("PATCH", `/api/admin/webhooks/${id}`, { events: ["command.expired", "approval.requested", "approval.decided"] });
  t.equal(p.status, 200);
  t.same(p.body.data.events, ["command.expired", "approval.requested", "approval.decided"]);
  t.equal((await owner.req("PATCH", `/api/admin/webhooks/${id}`, { url: "http://10.0.0.1/" })).body.error.code, "WEBHOOK_URL_FORBIDDEN");
  t.equal((await owner.req("PATCH", `/api/admin/webhooks/${id}`, {})).status, 422);
  const test = await owner.post(`/api/admin/webhooks/${id}/test`);
  t.equal(test.status, 409, "no test for a disabled endpoint (its queue does not move)");
  t.equal(test.body.error.code, "CONFLICT");
  t.equal((await owner.get("/api/admin/webhooks/whe_01HXYZ0000000000000000000A")).body.error.code, "WEBHOOK_ENDPOINT_NOT_FOUND");
  t.equal((await owner.get("/api/admin/webhooks/nope")).status, 404);
  t.equal((await owner.post("/api/admin/webhooks/deliveries/whd_01HXYZ0000000000000000000A/redeliver")).body.error.code, "WEBHOOK_DELIVERY_NOT_FOUND");
  t.equal((await owner.req("DELETE", `/api/admin/webhooks/${id}`)).status, 200);
  t.equal((await owner.get(`/api/admin/webhooks/${id}`)).status, 404);
});
