// Dispatch tables use own properties only: a URL segment, query key, CLI word or agent-chosen field
// name such as "hasOwnProperty", "constructor" or "__proto__" is never found in a plain object's
// prototype. POST /agents/:id/hasOwnProperty used to ENABLE a disabled agent (it passed `op in OPS`
// and fell into the domain's "enable" branch).
import t from "tap";
import { changeAgentState } from "../../src/domain/agents.js";
import { formFields, payloadFromForm } from "../../src/console/actionForm.js";
import { AppError } from "../../src/errors.js";
import { registerTestAgent } from "../fixtures.js";
import { startTestServer } from "../helpers.js";
import { runCli } from "../cli/_run.js";
import { loginBrowser } from "../console/_browser.js";

const PROTO_NAMES = ["hasOwnProperty", "constructor", "__proto__", "toString", "valueOf", "isPrototypeOf"];

t.test("agent operations: prototype names are 4xx and change nothing (console and API)", async (t) => {
  const s = await startTestServer(t);
  const fx = await registerTestAgent(s);
  const disabled = await fx.operator.post(`/api/admin/agents/${fx.agentId}/disable`);
  t.equal(disabled.body.data.status, "DISABLED");
  const auditBefore = (await fx.operator.get(`/api/admin/audit-events?targetId=${fx.agentId}&pageSize=100`)).body.pagination.total;
  const b = await loginBrowser(s, "operator");

  for (const name of PROTO_NAMES) {
    const seg = encodeURIComponent(name);
    const post = await b.post(`/agents/${fx.agentId}/${seg}`);
    t.equal(post.status, 404, `console POST /agents/:id/${name}: 404`);
    const get = await b.get(`/agents/${fx.agentId}/${seg}`);
    t.equal(get.status, 404, `console GET /agents/:id/${name}: 404, not 500`);
    const api = await fx.operator.post(`/api/admin/agents/${fx.agentId}/${seg}`);
    t.ok(api.status >= 400 && api.status < 500, `API POST .../${name}: 4xx (${api.status})`);
    t.equal(api.body.success, false, "error envelope");
    const apiGet = await fx.operator.get(`/api/admin/agents/${fx.agentId}/${seg}`);
    t.ok(apiGet.status >= 400 && apiGet.status < 500, `API GET .../${name}: 4xx (${apiGet.status})`);
    const tab = await b.get(`/services/${fx.serviceId}/${seg}`);
    t.equal(tab.status, 404, `service tab ${name}: 404`);
  }
  const after = await fx.operator.get(`/api/admin/agents/${fx.agentId}`);
  t.equal(after.body.data.status, "DISABLED", "the agent is still disabled");
  const auditAfter = (await fx.operator.get(`/api/admin/audit-events?targetId=${fx.agentId}&pageSize=100`)).body.pagination.total;
  t.equal(auditAfter, auditBefore, "no audit event was written");

  // the domain refuses an unknown transition whoever calls it
  for (const name of PROTO_NAMES) {
    const err = await t.rejects(() => changeAgentState(s.app, { type: "SYSTEM", id: null }, fx.agentId, name as "enable")) as unknown;
    t.ok(err instanceof AppError && err.code === "NOT_FOUND", `changeAgentState(${name}) is refused`);
  }
  t.equal((await fx.operator.get(`/api/admin/agents/${fx.agentId}`)).body.data.status, "DISABLED");
});

t.test("query keys and sort fields named after prototype members are refused (422)", async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  for (const q of ["__proto__=1", "constructor=1", "sort=constructor", "sort=-__proto__", "sort=hasOwnProperty"]) {
    const res = await owner.get(`/api/admin/agents?${q}`);
    t.equal(res.status, 422, `?${q}: 422`);
    t.equal(res.body.error.code, "VALIDATION_FAILED");
  }
  const cookies = await s.anon.req("GET", "/api/system/version", undefined, { cookie: "__proto__=x; constructor=y; hasOwnProperty=z" });
  t.equal(cookies.status, 200, "cookies named after prototype members are harmless");
});

t.test("the CLI: `capstan constructor` is an unknown command (usage error), not a crash", async (t) => {
  for (const name of ["constructor", "hasOwnProperty", "__proto__"]) {
    const r = await runCli([name]);
    t.equal(r.status, 2, `${name}: exit 2`);
    t.match(r.stderr, new RegExp(`unknown command ${name}`));
  }
});

t.test("action forms: schema fields named after prototype members are ordinary fields", async (t) => {
  const schema = { type: "object", properties: { constructor: { type: "string" }, __proto__: { type: "string" }, toString: { type: "integer" } } };
  // JSON.parse keeps "__proto__" an own key, as an agent's manifest arrives
  const parsed = JSON.parse(JSON.stringify(schema).replace('"properties":{', '"properties":{"__proto__":{"type":"string"},'));
  const fields = formFields(parsed, {}, {});
  for (const f of fields) {
    t.equal(f.value, "", `${f.name}: empty value, not a function's text`);
    t.equal(f.error, "", `${f.name}: no error text`);
  }
  t.ok(fields.some((f) => f.name === "__proto__"), "__proto__ is a field");
  const { payload, errors } = payloadFromForm(parsed, { "p.constructor": "a", "p.__proto__": "b", "p.toString": "x" });
  t.equal(Object.getPrototypeOf(payload), Object.prototype, "payload keeps its prototype");
  t.equal(payload.constructor, "a");
  t.ok(Object.hasOwn(payload, "__proto__") && Object.getOwnPropertyDescriptor(payload, "__proto__")!.value === "b", "__proto__ is an own field");
  t.equal(errors.toString, "must be a whole number");
});
