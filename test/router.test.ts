// Router contract: [pattern, method, path, expected params | 404 | 405 | 400] rows.
import t from "tap";
import { Router } from "../src/http/router.js";

const router = new Router<string>()
  .add("GET", "/api/agents/:agentId/commands", "poll")
  .add("POST", "/api/agents/:agentId/commands/:commandId/result", "result")
  .add("GET", "/api/admin/audit-events/export", "export")
  .add("GET", "/api/admin/audit-events/:id", "detail")
  .add("POST", "/api/admin/agents/:agentId/disable", "disable");

const rows: [string, string, Record<string, string> | 400 | 404 | 405, string?][] = [
  ["GET", "/api/agents/agt_1/commands", { agentId: "agt_1" }, "poll"],
  ["HEAD", "/api/agents/agt_1/commands", { agentId: "agt_1" }, "poll"],
  ["POST", "/api/agents/a%20b/commands/cmd_2/result", { agentId: "a b", commandId: "cmd_2" }, "result"],
  ["GET", "/api/admin/audit-events/export", {}, "export"],
  ["GET", "/api/admin/audit-events/aud_x", { id: "aud_x" }, "detail"],
  ["POST", "/api/agents/agt_1/commands", 405],
  ["DELETE", "/api/admin/agents/agt_1/disable", 405],
  ["GET", "/api/agents/agt_1/commands/", 404], // trailing slashes are not equivalent
  ["GET", "/api/agents//commands", 404],
  ["GET", "/api/agents/agt_1/commands/extra", 404],
  ["GET", "/api/agents/%E0%A4%A/commands", 400],
];

for (const [method, path, expected, name] of rows) {
  t.test(`${method} ${path}`, async (t) => {
    const m = router.match(method, path);
    if (expected === 404) t.equal(m.kind, "not-found");
    else if (expected === 405) t.equal(m.kind, "method-not-allowed");
    else if (expected === 400) t.equal(m.kind, "bad-param");
    else {
      t.equal(m.kind, "found");
      if (m.kind === "found") {
        t.same(m.params, expected);
        t.equal(m.value, name);
      }
    }
  });
}

t.test("405 lists the allowed methods", async (t) => {
  const m = router.match("PUT", "/api/admin/agents/agt_1/disable");
  t.same(m.kind === "method-not-allowed" ? m.allow : null, ["POST"]);
});

t.test("buckets change nothing: the real route table matches every path as a scan of the whole table would", async (t) => {
  const { allRoutes } = await import("../src/routes/index.js");
  const routes = allRoutes({ version: "test" } as Parameters<typeof allRoutes>[0]);
  const bucketed = new Router<(typeof routes)[number]>();
  for (const r of routes) bucketed.add(r.method, r.path, r);
  // the old router: one RegExp per route, tried in table order
  const scan = (method: string, path: string) => {
    const wanted = method === "HEAD" ? "GET" : method;
    const allow = new Set<string>();
    for (const r of routes) {
      const re = new RegExp(`^${r.path.split("/").map((s: string) => (s.startsWith(":") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("/")}$`);
      if (!re.test(path)) continue;
      if (r.method !== wanted) { allow.add(r.method); continue; }
      return { kind: "found", pattern: r.path };
    }
    return allow.size ? { kind: "method-not-allowed", allow: [...allow].sort() } : { kind: "not-found" };
  };
  const paths = new Set<string>(["/", "/x", "/api", "/api/", "/api/nothing/here", "/api/agents", "/static/x.css", "/console/../api"]);
  for (const r of routes) {
    paths.add(r.path.replace(/:[A-Za-z]+/g, "p1"));
    paths.add(r.path.replace(/:[A-Za-z]+/g, "export")); // a parameter that spells a sibling's literal
    paths.add(r.path + "/extra");
  }
  let compared = 0;
  for (const path of paths) {
    for (const method of ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]) {
      const m = bucketed.match(method, path);
      const got = m.kind === "found" ? { kind: m.kind, pattern: m.pattern } : m.kind === "method-not-allowed" ? { kind: m.kind, allow: [...m.allow].sort() } : { kind: m.kind };
      t.same(got, scan(method, path), `${method} ${path}`);
      compared++;
    }
  }
  t.ok(compared > 6 * routes.length, `${compared} method/path pairs compared over ${routes.length} routes`);
});

t.test("a plain request target is split without URL, with the same path and query URL gives", async (t) => {
  const { parseTarget } = await import("../src/http/target.js");
  const targets = [
    "/api/agents/agt_1/heartbeat", "/api/admin/agents?status=ONLINE&status=PENDING&q=a+b", "/", "/?", "/x?a=%20b",
    "/api/agents/a%20b/commands", "/api/./agents", "/api/../x", "/a//b", "//host/x", "/a\\b", "/x#frag", "/x?a=1#f",
    "/.well-known/x", "/a b", "/é", "/a?b?c", "/console/agents/agt_1/reenrol",
  ];
  for (const target of targets) {
    const ours = parseTarget(target);
    const url = new URL(target, "http://localhost");
    t.equal(ours.pathname, url.pathname, `pathname of ${target}`);
    t.same([...ours.searchParams], [...url.searchParams], `query of ${target}`);
  }
});
