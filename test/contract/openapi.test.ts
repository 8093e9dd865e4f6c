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
