// Acceptance 3: whatever a service reports is shown escaped on every page that shows it.
import t from "tap";
import { startTestServer } from "../helpers.js";
import { assertEscaped, HOSTILE, loginBrowser } from "./_browser.js";
import { enrol } from "./_agent.js";

t.test("hostile names, configs, labels and results are escaped everywhere", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_PREPARE_TIMEOUT_SECONDS: "0.2" } });
  const b = await loginBrowser(s, "owner", "esme");
  const raw = /value="(opstage_reg_[0-9A-Za-z]+)"/.exec((await b.follow(await b.post("/tokens", { name: HOSTILE }))).text)![1]!;
  const agent = await enrol(s, raw, {
    code: "evil-agent", serviceCode: "evil", name: HOSTILE,
    manifest: { description: HOSTILE, capabilities: [HOSTILE, { name: "x", label: HOSTILE }] },
    health: { status: "DEGRADED", message: HOSTILE, details: { note: HOSTILE, dependencies: [{ name: HOSTILE, status: "DOWN", message: HOSTILE }] } },
    configs: [
      { key: "PLAIN", label: HOSTILE, type: "string", valuePreview: HOSTILE, defaultValue: HOSTILE, source: HOSTILE },
      { key: "SECRET", label: HOSTILE, type: "secretRef", sensitive: true, secretRef: HOSTILE },
    ],
    actions: [{
      name: "act", label: HOSTILE, description: HOSTILE, dangerLevel: "LOW",
      inputSchema: { type: "object", properties: { field: { type: "string", title: HOSTILE, description: HOSTILE, default: HOSTILE, enum: [HOSTILE, "b"] } } },
    }],
  });

  const run = await b.post(`/services/${agent.serviceId}/actions/act`, { "p.field": HOSTILE });
  t.equal(run.status, 303);
  const cmd = await agent.next();
  await agent.progress(cmd.id, { message: HOSTILE, logs: [{ level: "info", message: HOSTILE }] });
  const live = await b.get(run.location!, { hx: true });
  assertEscaped(t, live.text, "live fragment");
  await agent.result(cmd.id, {
    success: false, message: HOSTILE,
    data: { list: [{ id: HOSTILE, [HOSTILE]: HOSTILE }], rowActions: [{ action: "act", label: HOSTILE, params: { field: "id" } }], other: HOSTILE },
    error: { code: "BAD", message: HOSTILE, details: { why: HOSTILE } },
  });

  const pages = [
    "/", "/agents", `/agents/${agent.agentId}`, "/services", `/services/${agent.serviceId}`,
    ...["manifest", "health", "configs", "actions", "commands", "audit"].map((tab) => `/services/${agent.serviceId}/${tab}`),
    "/commands", run.location!, "/audit", "/tokens", `/services/${agent.serviceId}/actions/act`,
    `/services/${agent.serviceId}/actions/act?p.field=${encodeURIComponent(HOSTILE)}`,
  ];
  for (const p of pages) {
    const res = await b.get(p);
    t.equal(res.status, 200, `${p} renders`);
    assertEscaped(t, res.text, p);
  }
  const detail = await b.get(run.location!);
  t.match(detail.text, "&lt;script&gt;alert(1)&lt;/script&gt;", "shown as text");
  t.match(detail.text, 'id="result-table"');
  t.match(detail.text, `/services/${agent.serviceId}/actions/act?p.field=%3Cscript%3E`, "row action link prefills the row's id, URL-encoded");
  const configs = await b.get(`/services/${agent.serviceId}/configs`);
  t.match(configs.text, "sensitive, not stored");
  const confirm = await b.post(`/services/${agent.serviceId}/actions/act`, { "p.field": "b'\"><img src=x>" }, { hx: true });
  t.notMatch(confirm.text, "<img src=x>");
});
