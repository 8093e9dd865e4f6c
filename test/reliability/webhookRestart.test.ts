// Durable outbox: the built server is killed with SIGKILL after events were committed and before
// they were delivered (delivery is off on the first process); the restarted server delivers each of
// them exactly once, signed, and the log says DELIVERED after one attempt. Both engines.
import { join } from "node:path";
import t from "tap";
import { reportedService } from "../fixtures.js";
import { sleep } from "../helpers.js";
import { startReceiver, verifyStandardWebhook } from "../notifications/_receiver.js";
import { freePort, jsonClient, ownerApiToken, spawnServer, type ChildServer } from "./_kit.js";

const ALLOW = { CAPSTAN_WEBHOOK_ALLOWED_CIDRS: "127.0.0.1/32", CAPSTAN_LOG_LEVEL: "warn" };

t.test("kill -9 between event and delivery: delivered once after the restart", async (t) => {
  t.setTimeout(120_000);
  const dataDir = join(t.testdir(), "data");
  const rx = await startReceiver(t);
  let server: ChildServer = await spawnServer({ dataDir, port: await freePort(), env: { ...ALLOW, CAPSTAN_WEBHOOK_DELIVERY_INTERVAL_SECONDS: "0" } });
  t.teardown(() => server.kill9());
  const token = await ownerApiToken(server.url);
  let api = jsonClient(server.url, { authorization: `Bearer ${token}` });
  const created = await api("POST", "/api/admin/webhooks", { name: "durable", url: `${rx.url}/in`, events: ["command.failed"] });
  t.equal(created.status, 200);
  const { id, secret } = created.body.data as { id: string; secret: string };

  // a real event: a command fails (its result request writes the audit event and the outbox row together)
  const registrationToken = (await api("POST", "/api/admin/registration-tokens", { name: "w" })).body.data.rawToken;
  const reg = await jsonClient(server.url)("POST", "/api/agents/register", {
    registrationToken, agent: { code: "w-agent", mode: "embedded" }, service: reportedService("w-service", { actions: [{ name: "work", label: "Work", dangerLevel: "LOW" }] }),
  });
  t.equal(reg.status, 200);
  const { agentId, agentToken } = reg.body.data;
  const agent = jsonClient(server.url, { authorization: `Bearer ${agentToken}` });
  t.equal((await agent("POST", `/api/agents/${agentId}/heartbeat`, {})).status, 200);
  const cmd = await api("POST", `/api/admin/capsule-services/${reg.body.data.services[0].serviceId}/actions/work`, { payload: {} });
  t.equal(cmd.status, 200);
  t.equal((await agent("GET", `/api/agents/${agentId}/commands`)).status, 200);
  const failed = await agent("POST", `/api/agents/${agentId}/commands/${cmd.body.data.id}/result`, { success: false, message: "disk full", error: { code: "DISK_FULL", message: "disk full" } });
  t.equal(failed.status, 200, JSON.stringify(failed.body));
  t.equal((await api("POST", `/api/admin/webhooks/${id}/test`)).status, 200);
  const before = (await api("GET", `/api/admin/webhooks/${id}/deliveries`)).body.data as { status: string; attempts: number; eventType: string }[];
  t.same(before.map((d) => [d.eventType, d.status, d.attempts]), [["webhook.test", "PENDING", 0], ["command.failed", "PENDING", 0]], "both in the outbox, not sent");

  await server.kill9();
  t.equal(rx.received.length, 0, "nothing reached the receiver before the kill");

  server = await spawnServer({ dataDir, port: await freePort(), env: { ...ALLOW, CAPSTAN_WEBHOOK_DELIVERY_INTERVAL_SECONDS: "0.2" } });
  api = jsonClient(server.url, { authorization: `Bearer ${token}` });
  const got = await rx.waitFor(2);
  await sleep(2_000); // time for a duplicate to show up, if there were one
  t.equal(rx.received.length, 2, "each message delivered once");
  t.same(got.map((r) => JSON.parse(r.body).type), ["command.failed", "webhook.test"], "in the order the events happened");
  for (const r of got) t.equal(verifyStandardWebhook(secret, r.headers, r.body), null, "signed with the endpoint's secret (opened after the restart)");
  t.equal(JSON.parse(got[0]!.body).data.metadata.errorCode, "DISK_FULL");
  const after = (await api("GET", `/api/admin/webhooks/${id}/deliveries`)).body.data as { status: string; attempts: number }[];
  t.same(after.map((d) => [d.status, d.attempts]), [["DELIVERED", 1], ["DELIVERED", 1]]);
});
