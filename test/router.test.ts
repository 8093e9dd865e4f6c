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
