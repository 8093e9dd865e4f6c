import t from "tap";
import { Ajv2020 } from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import { kit, type Kit } from "../commandKit.js";
import { sleep } from "../helpers.js";
import { SCHEMAS } from "../../src/openapi/schemas.js";

// The served contract's component schemas; Command / CommandDetail follow the reference field for field.
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajvFormats.default(ajv);
for (const [name, schema] of Object.entries(SCHEMAS)) ajv.addSchema(schema, `#/components/schemas/${name}`);
const validWire = (name: string, value: unknown): string | true => {
  const v = ajv.getSchema(`#/components/schemas/${name}`)!;
  return v(value) ? true : ajv.errorsText(v.errors);
};

t.test("execute creates a PENDING command with its audit pair", async (t) => {
  const k = await kit(t);
  const r = await k.execute("echo", { payload: { message: "hello" } });
  t.equal(r.status, 200);
  const c = r.body.data;
  t.match(c, { agentId: k.agentId, serviceId: k.serviceId, type: "ACTION_EXECUTE", actionName: "echo", status: "PENDING" });
  t.match(c.id, /^cmd_[0-9A-Z]{26}$/);
  t.same(c.payload, { message: "hello", times: 1 });
  t.equal(c.createdByUserId, k.operator.userId);
  t.equal(c.createdByType, "USER");
  t.equal(Date.parse(c.expiresAt) - Date.parse(c.createdAt), 300_000, "PENDING expires after the command TTL");
  t.same(c.progress, { percent: null, message: null });
  t.equal(c.cancelRequested, false);
  t.equal(validWire("Command", c), true);
  const requested = await k.audit("service.action.requested", k.serviceId);
  t.equal(requested.length, 1);
  t.equal(requested[0]!.result, "SUCCESS");
  t.equal((await k.audit("command.created", c.id)).length, 1);
});

t.test("execute checks in the contract's order, each refusal audited", async (t) => {
  const k = await kit(t);
  const cases: [string, string, unknown, number, string][] = [
    ["unknown service", `/api/admin/capsule-services/svc_01ARZ3NDEKTSV4RRFFQ69G5FAV/actions/echo`, {}, 404, "CAPSULE_SERVICE_NOT_FOUND"],
    ["unknown action", `/api/admin/capsule-services/${k.serviceId}/actions/nope`, {}, 404, "ACTION_NOT_FOUND"],
    ["disabled action", `/api/admin/capsule-services/${k.serviceId}/actions/paused`, {}, 403, "ACTION_DISABLED"],
    ["confirm-required", `/api/admin/capsule-services/${k.serviceId}/actions/confirmMe`, {}, 422, "ACTION_REQUIRES_CONFIRMATION"],
    ["HIGH needs confirmation", `/api/admin/capsule-services/${k.serviceId}/actions/restart`, { confirmation: false }, 422, "ACTION_REQUIRES_CONFIRMATION"],
    ["CRITICAL needs confirmation", `/api/admin/capsule-services/${k.serviceId}/actions/nuke`, {}, 422, "ACTION_REQUIRES_CONFIRMATION"],
    ["disabled beats confirmation", `/api/admin/capsule-services/${k.serviceId}/actions/paused`, { payload: { x: 1 } }, 403, "ACTION_DISABLED"],
    ["payload not an object", `/api/admin/capsule-services/${k.serviceId}/actions/echo`, { payload: [1] }, 422, "VALIDATION_FAILED"],
  ];
  for (const [name, path, body, status, code] of cases) {
    const r = await k.operator.post(path, body);
    t.equal(r.status, status, name);
    t.equal(r.body.error.code, code, name);
  }
  const refusals = await k.s.db.all<{ metadata_json: string }>(`SELECT metadata_json FROM audit_events WHERE action = 'service.action.requested' AND result = 'FAILURE'`);
  t.same(refusals.map((r) => JSON.parse(r.metadata_json).errorCode), [
    "CAPSULE_SERVICE_NOT_FOUND", "ACTION_NOT_FOUND", "ACTION_DISABLED", "ACTION_REQUIRES_CONFIRMATION",
    "ACTION_REQUIRES_CONFIRMATION", "ACTION_REQUIRES_CONFIRMATION", "ACTION_DISABLED",
  ], "every domain refusal is audited FAILURE with its code");
  t.equal((await k.execute("confirmMe", { confirmation: true })).status, 200);
  t.equal((await k.execute("restart", { confirmation: true })).status, 200);
  t.equal((await k.execute("nuke", { confirmation: true })).status, 200);
});

t.test("payload validation: 422 ACTION_PAYLOAD_INVALID with every failing path", async (t) => {
  const k = await kit(t);
  const r = await k.execute("echo", { payload: { times: 9, mode: "quiet", extra: true } });
  t.equal(r.status, 422);
  t.equal(r.body.error.code, "ACTION_PAYLOAD_INVALID");
  const paths = r.body.error.details.issues.map((i: { path: string }) => i.path).sort();
  t.same(paths, ["extra", "message", "mode", "times"]);
  const tooLong = await k.execute("echo", { payload: { message: "x".repeat(101) } });
  t.same(tooLong.body.error.details.issues.map((i: { path: string }) => i.path), ["message"]);
  t.match(tooLong.body.error.message, /message: must NOT have more than 100 characters/);
  const audited = (await k.audit("service.action.requested")).filter((a) => a.result === "FAILURE");
  t.equal(audited.length, 2);
  t.same(JSON.parse(audited[0]!.metadata_json!).issues.length, 4, "the failing paths are in the audit too");
  t.equal((await k.execute("echo", { payload: { message: "ok", mode: "loud" } })).status, 200, "format hints like textarea are tolerated");

  await k.s.db.run(`UPDATE action_definitions SET input_schema_json = ? WHERE service_id = ? AND name = 'rotateKey'`, [JSON.stringify({ type: "object", properties: { n: { type: "no-such-type" } } }), k.serviceId]);
  const broken = await k.execute("rotateKey", { payload: { n: 1 } });
  t.equal(broken.status, 422, "a service's broken schema is a clear 4xx, never a 500");
  t.equal(broken.body.error.code, "ACTION_PAYLOAD_INVALID");
  t.match(broken.body.error.message, /inputSchema/);
});

t.test("an agent that cannot take commands is 409 AGENT_NOT_AVAILABLE", async (t) => {
  const k = await kit(t);
  const disabled = await k.operator.post(`/api/admin/agents/${k.agentId}/disable`);
  t.equal(disabled.status, 200);
  const r = await k.execute("echo", { payload: { message: "x" } });
  t.equal(r.status, 409);
  t.equal(r.body.error.code, "AGENT_NOT_AVAILABLE");
  t.equal((await k.operator.get(`/api/admin/capsule-services/${k.serviceId}/actions/echo`)).status, 409, "prepare too");
  t.equal((await k.operator.post(`/api/admin/capsule-services/${k.serviceId}/actions/nope`, {})).body.error.code, "AGENT_NOT_AVAILABLE", "agent is checked before the action");
});

t.test("roles, sessions and CSRF", async (t) => {
  const k = await kit(t);
  const viewer = await k.s.loginAs("viewer");
  const path = `/api/admin/capsule-services/${k.serviceId}/actions/echo`;
  t.equal((await viewer.post(path, { payload: { message: "x" } })).status, 403);
  t.equal((await viewer.get(path)).body.error.code, "FORBIDDEN", "prepare needs operator");
  t.equal((await k.s.anon.post(path, {})).status, 401);
  const noCsrf = k.s.clientWith({ cookie: k.operator.cookie! });
  t.equal((await noCsrf.post(path, { payload: { message: "x" } })).body.error.code, "CSRF_INVALID");
  t.equal((await k.agent.post(path, {})).status, 401, "agent tokens are refused on the admin API");
});

/** A fake agent: long-polls and answers prepare commands with `answer`, until stopped. */
function fakeAgent(k: Kit, answer: (c: { id: string; type: string; actionName: string }) => object) {
  let running = true;
  const seen: string[] = [];
  const loop = (async () => {
    while (running) {
      const r = await k.poll("?waitSeconds=1");
      for (const c of r.body.data ?? []) {
        seen.push(c.type);
        await k.result(c.id, answer(c));
      }
    }
  })();
  return { seen, stop: async () => { running = false; await loop; } };
}

t.test("prepare: round trip with an agent loop over HTTP", async (t) => {
  const k = await kit(t);
  const agent = fakeAgent(k, (c) => ({
    success: true,
    data: { initialPayload: { message: `prefilled for ${c.actionName}` }, currentState: { queue: 3 } },
  }));
  const r = await k.operator.get(`/api/admin/capsule-services/${k.serviceId}/actions/echo`);
  await agent.stop();
  t.equal(r.status, 200);
  const d = r.body.data;
  t.equal(validWire("ActionPrepareResponse", d), true);
  t.equal(d.action.name, "echo");
  t.equal(d.action.dangerLevel, "LOW");
  t.same(d.initialPayload, { message: "prefilled for echo" });
  t.same(d.currentState, { queue: 3 });
  t.equal(d.inputSchema.required[0], "message", "the action's schema when the agent sends none");
  t.equal(d.prepareCommand.type, "ACTION_PREPARE");
  t.equal(d.prepareCommand.status, "SUCCEEDED");
  t.equal(d.prepareCommand.result.success, true);
  t.equal(validWire("CommandDetail", d.prepareCommand), true);
  t.same(agent.seen, ["ACTION_PREPARE"]);
  t.equal((await k.audit("service.action.prepared", k.serviceId)).length, 1);

  const list = await k.operator.get(`/api/admin/commands?type=ACTION_PREPARE`);
  t.equal(list.body.pagination.total, 1);
});

t.test("prepare: an agent failure is 424 with the command id", async (t) => {
  const k = await kit(t);
  const agent = fakeAgent(k, () => ({ success: false, error: { code: "NO_STATE", message: "state store down" } }));
  const r = await k.operator.get(`/api/admin/capsule-services/${k.serviceId}/actions/echo`);
  await agent.stop();
  t.equal(r.status, 424);
  t.equal(r.body.error.code, "ACTION_PREPARE_FAILED");
  t.equal(r.body.error.message, "state store down");
  t.match(r.body.error.details, { commandId: /^cmd_/, errorCode: "NO_STATE" });
  t.equal((await k.audit("command.prepare.failed", r.body.error.details.commandId)).length, 1);
});

t.test("prepare: no answer in time is 408 and the command is ended", async (t) => {
  const k = await kit(t, { env: { CAPSTAN_PREPARE_TIMEOUT_SECONDS: "0.3" } });
  const started = performance.now();
  const r = await k.operator.get(`/api/admin/capsule-services/${k.serviceId}/actions/echo`);
  const took = performance.now() - started;
  t.equal(r.status, 408);
  t.equal(r.body.error.code, "ACTION_PREPARE_TIMEOUT");
  t.ok(took >= 250 && took < 3000, `answered after ${took.toFixed(0)} ms`);
  const id = r.body.error.details.commandId;
  const c = (await k.operator.get(`/api/admin/commands/${id}`)).body.data;
  t.equal(c.status, "EXPIRED");
  t.equal(c.errorCode, "ACTION_PREPARE_TIMEOUT");
  t.equal(k.s.app.runtime.counters.actionPrepareTimeouts, 1);
  t.equal((await k.audit("command.prepare.timeout", id)).length, 1);
  t.same((await k.poll()).body.data, [], "the agent never runs the abandoned prepare");
  await sleep(10);
});
