// Builds the served OpenAPI document from the route table, so paths, methods, auth and parameters
// cannot drift from what the server does. Per-route summaries and body/response schemas live in
// docs.ts; a test fails when a JSON route has no entry there.
import type { AnyRoute } from "../context.js";
import { ROUTE_DOCS, type RouteDoc } from "./docs.js";
import { SCHEMAS } from "./schemas.js";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const PARAM_PATTERN: Record<string, string> = {
  agentId: "^agt_", serviceId: "^svc_", commandId: "^cmd_", tokenId: "^(tok|apt)_", userId: "^usr_", auditEventId: "^aud_", routeId: "^brr_", eventId: "^bev_",
};

function successSchema(doc: RouteDoc): Record<string, unknown> {
  const r = doc.response;
  if (r === undefined || r === "empty") return ref("SuccessEnvelope");
  const data = typeof r === "string" ? ref(r) : "list" in r ? { type: "array", items: ref(r.list) } : { type: "array", items: ref(r.array) };
  const props: Record<string, unknown> = { data };
  if (typeof r === "object" && "list" in r) props.pagination = ref("Pagination");
  return { allOf: [ref("SuccessEnvelope"), { type: "object", properties: props }] };
}

function operation(route: AnyRoute, doc: RouteDoc) {
  const params = [...route.path.matchAll(/:(\w+)/g)].map((m) => ({
    name: m[1], in: "path", required: true, schema: { type: "string", ...(PARAM_PATTERN[m[1]!] ? { pattern: PARAM_PATTERN[m[1]!] } : {}) },
  }));
  const security =
    route.auth === "public" ? [] : route.auth === "agent" ? [{ AgentBearerToken: [] }] : [{ AdminSessionCookie: [] }, { ApiToken: [] }];
  const ok =
    doc.response === "stream" || doc.response === "text"
      ? { description: doc.summary, content: { [doc.contentType ?? "text/plain"]: { schema: { type: "string" } } } }
      : { description: "OK", content: { "application/json": { schema: successSchema(doc) } } };
  return {
    operationId: route.name,
    summary: doc.summary,
    tags: [doc.tag],
    ...(doc.description ? { description: doc.description } : {}),
    security,
    ...(route.auth !== "public" && route.auth !== "agent" ? { "x-capstan-min-role": route.auth } : {}),
    parameters: [...params, ...(doc.query ?? []).map((q) => ({ name: q.name, in: "query", ...(q.array ? { explode: true } : {}), schema: q.schema ?? { type: "string" }, ...(q.description ? { description: q.description } : {}) }))],
    ...(doc.request ? { requestBody: { required: true, content: { "application/json": { schema: ref(doc.request) } } } } : {}),
    responses: { "200": ok, default: { description: "Error", content: { "application/json": { schema: ref("ErrorEnvelope") } } } },
  };
}

export function buildOpenApi(routes: AnyRoute[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    if (r.page) continue;
    const doc = ROUTE_DOCS[r.name];
    if (!doc) continue;
    const path = r.path.replace(/:(\w+)/g, "{$1}");
    (paths[path] ??= {})[r.method.toLowerCase()] = operation(r, doc);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Capstan API",
      version,
      summary: "Agent, admin and system API of Capstan, wire-compatible with the Capsule Management Contract v0.1.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    paths,
    components: {
      securitySchemes: {
        AdminSessionCookie: { type: "apiKey", in: "cookie", name: "capstan_session", description: "Plus X-CSRF-Token on every non-GET request." },
        ApiToken: { type: "http", scheme: "bearer", bearerFormat: "capstan_pat_ personal API token" },
        AgentBearerToken: { type: "http", scheme: "bearer", bearerFormat: "opstage_agent_ token" },
      },
      schemas: SCHEMAS,
    },
  };
}
