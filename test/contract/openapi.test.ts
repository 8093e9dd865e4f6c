// The served OpenAPI document: generated from the route table, complete, and internally consistent.
import t from "tap";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { ROUTE_DOCS } from "../../src/openapi/docs.js";
import { startTestServer } from "../helpers.js";

t.test("every JSON route is documented and every schema compiles", async (t) => {
  const s = await startTestServer(t);
  const res = await s.anon.get("/api/openapi.json");
  t.equal(res.status, 200);
  const doc = res.body;
  t.equal(doc.openapi, "3.1.0");
  t.equal(doc.info.version, s.app.version);
  for (const r of s.routes) {
    if (r.page || r.path.startsWith("/static/")) continue;
    t.ok(ROUTE_DOCS[r.name], `${r.method} ${r.path} (${r.name}) has a ROUTE_DOCS entry`);
    const op = doc.paths[r.path.replace(/:(\w+)/g, "{$1}")]?.[r.method.toLowerCase()];
    t.ok(op, `${r.method} ${r.path} is in the document`);
  }
  for (const name of Object.keys(ROUTE_DOCS)) {
    t.ok(s.routes.some((r) => r.name === name), `ROUTE_DOCS.${name} belongs to a route`);
  }
  const ajv = new Ajv2020({ strict: false });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addSchema({ $id: "doc", components: doc.components });
  const text = JSON.stringify(doc.paths);
  for (const m of text.matchAll(/"#\/components\/schemas\/(\w+)"/g)) t.ok(doc.components.schemas[m[1]!], `schema ${m[1]} exists`);
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>)) {
    for (const [method, op] of Object.entries(ops)) {
      const schema = op.responses["200"]?.content?.["application/json"]?.schema;
      if (!schema) continue;
      t.doesNotThrow(() => ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/'))), `${method} ${path} response schema compiles`);
    }
  }
});

t.test("request components are generated from the zod schemas and agree with them", async (t) => {
  const { SCHEMAS } = await import("../../src/openapi/schemas.js");
  const { CreateUserBody, UpdateUserBody } = await import("../../src/schemas/users.js");
  const { CreateBusRouteBody, UpdateBusRouteBody } = await import("../../src/schemas/bus.js");
  const { ServiceReportBody } = await import("../../src/schemas/services.js");
  const { ProgressBody } = await import("../../src/schemas/commands.js");
  const { CreateRegistrationTokenBody } = await import("../../src/schemas/registrationTokens.js");
  const ajv = new Ajv2020({ strict: false });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addSchema({ $id: "doc", components: { schemas: SCHEMAS } });
  const validator = (name: string) => ajv.compile(JSON.parse(JSON.stringify({ $ref: `#/components/schemas/${name}` }).replaceAll('"#/components/', '"doc#/components/')));
  const service = { code: "svc-a", name: "A", manifest: { code: "svc-a", name: "A" }, actions: [{ name: "echo", dangerLevel: "HIGH" }], health: { status: "UP" } };
  const cases: [string, { safeParse(v: unknown): { success: boolean } }, unknown, boolean][] = [
    ["CreateUserRequest", CreateUserBody, { username: "u", password: "long-enough-password", role: "viewer" }, true],
    ["CreateUserRequest", CreateUserBody, { username: "u", password: "short", role: "viewer" }, false],
    ["CreateUserRequest", CreateUserBody, { username: "u", password: "long-enough-password", role: "admin" }, false],
    ["UpdateUserRequest", UpdateUserBody, { status: "DISABLED" }, true],
    ["UpdateUserRequest", UpdateUserBody, { status: "SUSPENDED" }, false],
    ["UpdateUserRequest", UpdateUserBody, {}, false],
    ["CreateBusRouteRequest", CreateBusRouteBody, { name: "r", trigger: { eventType: "a.b" }, action: { targetServiceCode: "svc-a", actionName: "echo" } }, true],
    ["CreateBusRouteRequest", CreateBusRouteBody, { name: "r", trigger: { eventType: "a.b" }, action: { targetServiceCode: "svc-a", actionName: "echo" }, extra: 1 }, false],
    ["CreateBusRouteRequest", CreateBusRouteBody, { name: "r", status: "PAUSED", trigger: { eventType: "a.b" }, action: { targetServiceCode: "svc-a", actionName: "echo" } }, false],
    ["UpdateBusRouteRequest", UpdateBusRouteBody, { status: "DRY_RUN" }, true],
    ["UpdateBusRouteRequest", UpdateBusRouteBody, {}, false],
    ["ServiceReportRequest", ServiceReportBody, { services: [service] }, true],
    ["ServiceReportRequest", ServiceReportBody, { services: [{ ...service, actions: [{ name: "echo", dangerLevel: "EXTREME" }] }] }, false],
    ["ServiceReportRequest", ServiceReportBody, { services: [{ ...service, health: { status: "SICK" } }] }, false],
    ["ServiceReportRequest", ServiceReportBody, { services: [] }, false],
    ["CommandProgressRequest", ProgressBody, { percent: 0.5, logs: [{ level: "info", message: "m" }] }, true],
    ["CommandProgressRequest", ProgressBody, { logs: [{ level: "trace", message: "m" }] }, false],
    ["CommandProgressRequest", ProgressBody, { percent: 2 }, false],
    ["CreateRegistrationTokenRequest", CreateRegistrationTokenBody, { name: "t", maxUses: 1 }, true],
    ["CreateRegistrationTokenRequest", CreateRegistrationTokenBody, { expiresInSeconds: 10 }, false],
  ];
  for (const [name, zod, body, valid] of cases) {
    t.equal(zod.safeParse(body).success, valid, `zod: ${name} ${JSON.stringify(body)}`);
    t.equal(validator(name)(body), valid, `document: ${name} ${JSON.stringify(body)}`);
  }
  t.same(SCHEMAS.HealthReportInput, { type: "object", properties: SCHEMAS.HealthReportInput!.properties, required: ["status"] }, "no $schema/$id left in a component");
  t.same((SCHEMAS.HealthReportInput!.properties as { status: { enum: string[] } }).status.enum, ["UP", "DEGRADED", "DOWN", "UNKNOWN"]);
});
