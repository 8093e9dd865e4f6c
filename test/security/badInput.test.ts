// Bad input never gets a 500: malformed JSON, wrong types, huge bodies and unknown query params get a
// 4xx with the error envelope, on every JSON route of the route table.
import t from "tap";
import { createApiToken } from "../../src/domain/apiTokens.js";
import type { AnyRoute } from "../../src/context.js";
import { registerTestAgent } from "../fixtures.js";
import { startTestServer, type Client } from "../helpers.js";

t.test("every route answers bad input with a 4xx envelope", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_PREPARE_TIMEOUT_SECONDS: "0.2", CAPSTAN_METRICS: "token", CAPSTAN_BUS_ENABLED: "true", CAPSTAN_MESSAGES_ENABLED: "true" } });
  const owner = await s.loginAs("owner");
  const pat = s.clientWith({ token: (await createApiToken(s.app, { type: "SYSTEM", id: null }, owner.userId!, { name: "fuzz" })).rawToken });
  const fx = await registerTestAgent(s);
  const ids: Record<string, string> = { agentId: fx.agentId, serviceId: fx.serviceId, userId: owner.userId!, actionName: "echo" };
  const pathOf = (r: AnyRoute) => r.path.replace(/:(\w+)/g, (_m: string, n: string) => ids[n] ?? "zzz");
  const clientFor = (r: AnyRoute): Client => (r.auth === "agent" ? fx.agent : pat);
  const routes = s.routes.filter((r) => !r.page && !r.path.startsWith("/static") && !r.path.includes("logout") && !r.path.endsWith("/revoke") && !r.path.endsWith("/disable"));

  const check = (label: string, res: { status: number; body: any }) => {
    t.ok(res.status >= 400 && res.status < 500, `${label}: 4xx (got ${res.status})`);
    t.equal(res.body?.success, false, `${label}: error envelope`);
    t.type(res.body?.error?.code, "string", `${label}: has a code`);
  };
  for (const r of routes) {
    const label = `${r.method} ${r.path}`;
    const c = clientFor(r);
    if (r.method === "GET") {
      const res = await c.get(`${pathOf(r)}?definitelyNotAParam=1`);
      if (r.auth === "public" && !r.path.startsWith("/api/admin")) continue;
      check(`${label} unknown query param`, res);
      continue;
    }
    check(`${label} malformed JSON`, await c.req(r.method, pathOf(r), "{not json"));
    const wrong = await c.req(r.method, pathOf(r), JSON.stringify({ name: 42, payload: "x", services: 7, success: "yes", username: [], password: {} }));
    t.ok(wrong.status < 500, `${label} wrong types: no 5xx (got ${wrong.status})`);
    check(`${label} huge body`, await c.req(r.method, pathOf(r), JSON.stringify({ blob: "x".repeat(5 * 1024 * 1024) })));
    check(`${label} deep nesting`, await c.req(r.method, pathOf(r), "[".repeat(5000) + "]".repeat(5000)));
  }
  t.equal((await s.anon.get("/api/system/health")).status, 200, "still healthy afterwards");
});

t.test("a NUL character in an id or a text field is a 4xx on both engines (PostgreSQL text cannot hold it)", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_BUS_ENABLED: "true" } });
  const owner = await s.loginAs("owner");
  for (const path of ["/api/admin/bus/routes/%00", "/api/admin/bus/routes/bus_%00x"]) {
    const r = await owner.get(path);
    t.ok(r.status >= 400 && r.status < 500, `${path}: ${r.status} ${r.body?.error?.code ?? ""}`);
    t.equal(r.body.success, r.status < 400, `${path}: the error envelope`);
  }
  const search = await owner.get("/api/admin/users?q=%00"); // SQLite: a search with no match; PostgreSQL: 422
  t.ok(search.status === 200 || search.status === 422, `a NUL in a search is not a 5xx (${search.status})`);
  const created = await owner.post("/api/admin/registration-tokens", { name: "nul\u0000name" });
  t.ok(created.status < 500, `a NUL in a written name is not a 5xx (${created.status})`);
  t.same(s.logs.filter((l) => JSON.parse(l).level === "error"), [], "nothing logged as a server error");
});
