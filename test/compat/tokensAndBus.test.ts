// Opstage v0.4 endpoints beside ours: DELETE of a spent registration token, and bus routes in the
// v0.4 shape ({match, target, inputMapping}) through POST and PUT, doing what our routes do.
import t from "tap";
import { busKit } from "../bus/_kit.js";
import { startTestServer } from "../helpers.js";

t.setTimeout(120_000);

t.test("DELETE /api/admin/registration-tokens/{id}: only EXPIRED or REVOKED, answers the record, audited", async (t) => {
  const s = await startTestServer(t);
  const operator = await s.loginAs("operator");
  const create = async (name: string) => (await operator.post("/api/admin/registration-tokens", { name })).body.data.id as string;
  const active = await create("active");
  const refused = await operator.req("DELETE", `/api/admin/registration-tokens/${active}`);
  t.equal(refused.status, 409);
  t.equal(refused.body.error.code, "REGISTRATION_TOKEN_NOT_DELETABLE");
  t.equal(refused.body.error.details.status, "ACTIVE");

  const revoked = await create("revoked");
  await operator.post(`/api/admin/registration-tokens/${revoked}/revoke`);
  const del = await operator.req("DELETE", `/api/admin/registration-tokens/${revoked}`);
  t.equal(del.status, 200, del.text);
  t.match(del.body.data, { id: revoked, name: "revoked", status: "REVOKED" });
  t.equal((await operator.req("DELETE", `/api/admin/registration-tokens/${revoked}`)).body.error.code, "REGISTRATION_TOKEN_NOT_FOUND", "gone: 404");
  const listed = (await operator.get("/api/admin/registration-tokens")).body.data.map((r: { id: string }) => r.id);
  t.same(listed.sort(), [active], "only the active one is left");

  // expired by time although the sweep has not written EXPIRED yet
  const expired = await create("expired");
  await s.db.run(`UPDATE registration_tokens SET expires_at = ? WHERE id = ?`, [new Date(Date.now() - 60_000).toISOString(), expired]);
  const delExpired = await operator.req("DELETE", `/api/admin/registration-tokens/${expired}`);
  t.equal(delExpired.status, 200, delExpired.text);
  t.equal(delExpired.body.data.status, "EXPIRED");

  const audit = await s.db.all<{ target_id: string; actor_id: string }>(`SELECT target_id, actor_id FROM audit_events WHERE action = 'registration_token.deleted' ORDER BY created_at`);
  t.same(audit.map((a) => a.target_id), [revoked, expired]);
  t.equal(audit[0]!.actor_id, operator.userId);
  t.equal((await (await s.loginAs("viewer")).req("DELETE", `/api/admin/registration-tokens/${active}`)).status, 403, "viewers cannot");
});

t.test("a v0.4 route created by POST routes events like ours; PUT replaces it in either shape", async (t) => {
  const k = await busKit(t);
  const created = await k.createRoute({
    name: "v0.4", status: "ENABLED", match: { eventType: "shop.item.created", sourceServiceCode: "shop" },
    target: { serviceCode: "mailer", actionName: "echo" }, inputMapping: { message: "{{event.data.name}}" }, metadata: { owner: "team-a" },
  });
  t.equal(created.status, 200, created.text);
  const id = created.body.data.id as string;
  t.match(created.body.data.target, { serviceCode: "mailer", actionName: "echo", serviceId: k.target.serviceId, actionFound: true }, "v0.4 target merged into ours");

  const pub = await k.publish({ eventType: "shop.item.created", data: { name: "lamp" } });
  t.equal(pub.status, 200, pub.text);
  t.equal(pub.body.data.commandIds.length, 1, "the v0.4 route matched");
  const cmd = await k.operator.get(`/api/admin/commands/${pub.body.data.commandIds[0]}`);
  t.same(cmd.body.data.payload, { message: "lamp" }, "inputMapping is the payload template");

  // PUT (v0.4 shape): what is left out is cleared, status kept
  const put = await k.operator.req("PUT", `/api/admin/bus/routes/${id}`, {
    name: "v0.4 renamed", match: { eventType: "shop.item.updated" }, target: { serviceCode: "mailer", actionName: "echo" },
  });
  t.equal(put.status, 200, put.text);
  t.match(put.body.data, { name: "v0.4 renamed", status: "ENABLED", trigger: { eventType: "shop.item.updated", sourceServiceCode: null }, action: { payloadTemplate: null }, inputMapping: {} });

  // PUT in our shape
  const ours = await k.operator.req("PUT", `/api/admin/bus/routes/${id}`, {
    name: "ours", status: "DRY_RUN", trigger: { eventType: "shop.item.created" }, action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: { message: "x" } },
  });
  t.equal(ours.status, 200, ours.text);
  t.match(ours.body.data, { name: "ours", status: "DRY_RUN", match: { eventType: "shop.item.created" }, inputMapping: { message: "x" } });

  // the confirmation rule holds for v0.4 bodies too
  const risky = await k.createRoute({ name: "risky", status: "ENABLED", match: { eventType: "a.b" }, target: { serviceCode: "mailer", actionName: "restart" } });
  t.equal(risky.status, 422);
  t.equal(risky.body.error.code, "BUS_ROUTE_CONFIRMATION_REQUIRED");
  // bad v0.4 bodies are 422 envelopes
  for (const body of [{ name: "x", match: {}, target: { serviceCode: "mailer", actionName: "echo" } }, { name: "x", match: { eventType: "a" }, target: "mailer" },
    { name: "x", match: { eventType: "a" }, target: { serviceCode: "mailer", actionName: "echo" }, inputMapping: "{{event}}" }]) {
    const res = await k.createRoute(body);
    t.equal(res.status, 422, JSON.stringify(body));
    t.equal(res.body.error.code, "VALIDATION_FAILED");
  }
  t.equal((await k.viewer.req("PUT", `/api/admin/bus/routes/${id}`, { name: "x" })).status, 403, "viewers cannot");
  t.equal((await k.operator.req("PUT", "/api/admin/bus/routes/brr_01ARZ3NDEKTSV4RRFFQ69G5FAV", {
    name: "x", match: { eventType: "a" }, target: { serviceCode: "mailer", actionName: "echo" },
  })).body.error.code, "BUS_ROUTE_NOT_FOUND");

  const audit = await k.viewer.get("/api/admin/bus/audit?pageSize=100");
  t.equal(audit.status, 200);
  const actions = audit.body.data.map((r: { action: string }) => r.action);
  t.ok(actions.includes("bus.route.updated") && actions.includes("bus.event.received"), "bus actions listed");
  t.same(actions.filter((a: string) => !a.startsWith("bus.")), [], "and nothing else");
  t.equal(audit.body.pagination.total, actions.length);
});
