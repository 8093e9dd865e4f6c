// Manifest metadata: capabilities, events and permissions are validated, stored whole, and services
// can be filtered by exact capability name (strings and {name} objects alike).
import t from "tap";
import { registerTestAgent, reportedService } from "../fixtures.js";
import { startTestServer } from "../helpers.js";

const META = {
  capabilities: ["llm.chat", { name: "demo.echo", label: "Echo", description: "says it back" }],
  events: [
    { name: "demo.item.created", direction: "publish", description: "an item was created", schema: { type: "object" } },
    { name: "billing.invoice.paid", direction: "subscribe" },
  ],
  permissions: [{ name: "items.write", description: "creates items" }, "net.outbound"],
};

t.test("metadata is stored whole and shown in the service detail", async (t) => {
  const s = await startTestServer(t);
  const a = await registerTestAgent(s, { serviceCode: "meta" });
  const report = await a.agent.post(`/api/agents/${a.agentId}/services/report`, { services: [reportedService("meta", { manifest: META })] });
  t.equal(report.status, 200, report.text);
  const viewer = await s.loginAs("viewer");
  const manifest = (await viewer.get(`/api/admin/capsule-services/${a.serviceId}/manifest`)).body.data;
  t.same(manifest.capabilities, META.capabilities);
  t.same(manifest.events, META.events);
  t.same(manifest.permissions, META.permissions);
});

t.test("bad metadata is refused with the manifest error and a path", async (t) => {
  const s = await startTestServer(t);
  const a = await registerTestAgent(s, { serviceCode: "meta" });
  const cases: [string, Record<string, unknown>, string][] = [
    ["event without direction", { events: [{ name: "x.created" }] }, "manifest.events.0.direction"],
    ["unknown direction", { events: [{ name: "x.created", direction: "both" }] }, "manifest.events.0.direction"],
    ["event declared twice", { events: [{ name: "x", direction: "publish" }, { name: "x", direction: "publish" }] }, "manifest.events"],
    ["capability without name", { capabilities: [{ label: "no name" }] }, "manifest.capabilities.0"],
    ["duplicate capability", { capabilities: ["a", { name: "a" }] }, "manifest.capabilities"],
    ["permission not a string or object", { permissions: [42] }, "manifest.permissions.0"],
    ["capabilities not a list", { capabilities: "llm.chat" }, "manifest.capabilities"],
  ];
  for (const [why, manifest, path] of cases) {
    const r = await a.agent.post(`/api/agents/${a.agentId}/services/report`, { services: [reportedService("meta", { manifest })] });
    t.equal(r.status, 422, why);
    t.equal(r.body.error.code, "CAPSULE_SERVICE_MANIFEST_INVALID", why);
    t.ok(r.body.error.details.issues.some((i: { path: string }) => i.path.startsWith(path)), `${why}: ${JSON.stringify(r.body.error.details.issues)}`);
  }
  // a subscribe and a publish declaration of the same event are two different facts
  const both = { events: [{ name: "x", direction: "publish" }, { name: "x", direction: "subscribe" }] };
  t.equal((await a.agent.post(`/api/agents/${a.agentId}/services/report`, { services: [reportedService("meta", { manifest: both })] })).status, 200);
});

t.test("services are filtered by exact capability name", async (t) => {
  const s = await startTestServer(t);
  await registerTestAgent(s, { serviceCode: "chat" });
  const a = await registerTestAgent(s, { serviceCode: "echoer" });
  const b = await registerTestAgent(s, { serviceCode: "plain" });
  await a.agent.post(`/api/agents/${a.agentId}/services/report`, { services: [reportedService("echoer", { manifest: { capabilities: [{ name: "demo.echo" }, "llm.chat.stream"] } })] });
  await b.agent.post(`/api/agents/${b.agentId}/services/report`, {
    // the capability name appears in the manifest, but not as a capability
    services: [reportedService("plain", { manifest: { description: "demo.echo llm.chat", capabilities: ["other"] } })],
  });
  const chat = (await s.loginAs("viewer")).get;
  const codes = async (cap: string) => (await chat(`/api/admin/capsule-services?capability=${encodeURIComponent(cap)}&sort=code`)).body.data.map((x: { code: string }) => x.code);
  t.same(await codes("demo.echo"), ["echoer"], "object form");
  t.same(await codes("llm.chat.stream"), ["echoer"], "string form");
  t.same(await codes("llm.chat"), [], "exact, not a substring");
  t.same(await codes("demo"), []);
  t.same(await codes("other"), ["plain"]);
});
