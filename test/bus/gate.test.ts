// The bus feature gate is declared in the route table (`feature: "bus"`) and enforced once by app.ts:
// with the bus off, every bus route answers as if it did not exist (agents, console) or 503 (admin API).
import t from "tap";
import { registerTestAgent } from "../fixtures.js";
import { startTestServer } from "../helpers.js";

t.test("every bus route declares the gate, and with the bus off each answers like before", async (t) => {
  const s = await startTestServer(t);
  const a = await registerTestAgent(s);
  const busRoutes = s.routes.filter((r) => /\/bus(\/|$)/.test(r.path));
  t.ok(busRoutes.length >= 19, "admin API, agent API and console bus routes are all found");
  t.same(busRoutes.filter((r) => r.feature !== "bus").map((r) => r.name), [], "every /bus route says feature: \"bus\"");
  t.same(s.routes.filter((r) => r.feature === "bus" && !/\/bus(\/|$)/.test(r.path)).map((r) => r.name), [], "and nothing else does");

  const op = await s.loginAs("operator");
  for (const r of busRoutes) {
    const path = r.path
      .replace(":agentId", a.agentId)
      .replace(":routeId", "brr_01ARZ3NDEKTSV4RRFFQ69G5FAV")
      .replace(":eventId", "bev_01ARZ3NDEKTSV4RRFFQ69G5FAV");
    const client = r.auth === "agent" ? a.agent : op;
    const res = await client.req(r.method, path, r.method === "GET" ? undefined : { eventType: "a.b", data: {} }, r.page ? { accept: "text/html" } : {});
    const adminApi = r.auth !== "agent" && !r.page;
    t.equal(res.status, adminApi ? 503 : 404, `${r.method} ${r.path}`);
    if (!r.page) t.equal(res.body.error.code, adminApi ? "CAPSULE_BUS_DISABLED" : "NOT_FOUND", `${r.method} ${r.path} code`);
  }
  t.equal((await s.anon.get("/api/admin/bus/routes")).status, 401, "authentication still comes first");
});
