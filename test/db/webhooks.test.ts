// webhook_endpoints / webhook_deliveries (src/db/webhook*.ts): the queue head and due check, the
// endpoint lease (one holder at a time, across two pools on PostgreSQL; an expired lease is taken
// over), recording an attempt once, and retention of finished deliveries only.
import t from "tap";
import type { Db } from "../../src/db/engine.js";
import { deleteWebhookDeliveriesBefore, headWebhookDelivery, insertWebhookDelivery, recordWebhookAttempt } from "../../src/db/webhookDeliveries.js";
import {
  dueWebhookEndpoints, insertWebhookEndpoint, leaseWebhookEndpoint, releaseWebhookLease, renewWebhookLease, type WebhookEndpointRow,
} from "../../src/db/webhookEndpoints.js";
import { openPostgres } from "../../src/db/postgres.js";
import { onPostgres, openTestDb } from "../testDb.js";

type Tap = Parameters<typeof openTestDb>[0];
const at = (s: number) => new Date(Date.UTC(2030, 0, 1) + s * 1000).toISOString();

async function secondNode(t: Tap, db: Db): Promise<Db> {
  if (!onPostgres) return db;
  const b = await openPostgres((db as Db & { url: string }).url, { poolSize: 4 });
  t.teardown(() => b.close());
  return b;
}

const endpoint = (id: string): WebhookEndpointRow => ({
  id, name: id, url: "https://example.com/", format: "standard", events: ["command.failed"], enabled: true, secretSealed: "sealed",
  disabledReason: null, failingSince: null, lastSuccessAt: null, lastFailureAt: null, createdBy: null, createdAt: at(0), updatedAt: at(0),
});

t.test("queue head, due endpoints, lease and attempts", async (t) => {
  const db = await openTestDb(t);
  const other = await secondNode(t, db);
  await insertWebhookEndpoint(db, endpoint("whe_a"));
  t.same(await dueWebhookEndpoints(db, at(10), 10, false), [], "no deliveries: nothing due");
  for (const n of [1, 2]) await insertWebhookDelivery(db, { id: `whd_${n}`, endpointId: "whe_a", messageId: `msg_${n}`, eventType: "command.failed", body: "{}", nowIso: at(n) });
  t.equal((await headWebhookDelivery(db, "whe_a"))!.id, "whd_1", "the oldest is the head");
  t.same(await dueWebhookEndpoints(db, at(0), 10, false), [], "not due before the head's time");
  t.same(await dueWebhookEndpoints(db, at(5), 10, false), ["whe_a"]);

  const [a, b] = await Promise.all([
    db.transaction(() => leaseWebhookEndpoint(db, "whe_a", "node-a", at(65), at(5))),
    other.transaction(() => leaseWebhookEndpoint(other, "whe_a", "node-b", at(65), at(5))),
  ]);
  t.equal(Number(a) + Number(b), 1, "exactly one node holds the lease");
  const holder = a ? "node-a" : "node-b";
  t.same(await dueWebhookEndpoints(db, at(6), 10, false), [], "a leased endpoint is not due");
  t.notOk(await renewWebhookLease(db, "whe_a", "someone-else", at(90)), "only the holder renews");
  t.ok(await renewWebhookLease(db, "whe_a", holder, at(90)));
  t.ok(await leaseWebhookEndpoint(db, "whe_a", "node-c", at(200), at(91)), "an expired lease is taken over (a dead node)");
  await releaseWebhookLease(db, "whe_a", holder);
  t.notOk(await leaseWebhookEndpoint(db, "whe_a", "node-d", at(200), at(92)), "the old holder's release does not free the new lease");
  await releaseWebhookLease(db, "whe_a", "node-c");

  // the head failed: retried later; the second waits behind it
  const outcome = { attemptedAt: at(10), responseStatus: 500, durationMs: 3, error: "HTTP 500", responseExcerpt: "no" };
  t.ok(await recordWebhookAttempt(db, "whd_1", { ...outcome, status: "PENDING", nextAttemptAt: at(15) }));
  t.same(await dueWebhookEndpoints(db, at(12), 10, false), [], "the failing head holds the queue until its retry time");
  t.ok(await recordWebhookAttempt(db, "whd_1", { ...outcome, status: "DELIVERED", nextAttemptAt: at(16), responseStatus: 200, error: null }));
  t.notOk(await recordWebhookAttempt(db, "whd_1", { ...outcome, status: "FAILED", nextAttemptAt: at(17) }), "a recorded outcome is final");
  t.equal((await headWebhookDelivery(db, "whe_a"))!.id, "whd_2", "the next message is the head now");
  t.equal(await deleteWebhookDeliveriesBefore(db, at(100), 10), 1, "retention deletes finished deliveries only");
  t.equal((await headWebhookDelivery(db, "whe_a"))!.id, "whd_2", "the pending one stays");
});
