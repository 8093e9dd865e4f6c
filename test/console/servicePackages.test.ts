// The service page's package section with JavaScript off: the package link, flags, the policy's
// verdict, and the install-request form; an owner approves on the Approvals page and the
// QUARANTINED service is released at once. The dashboard counts it while quarantined.
import t from "tap";
import { reportedService, registerTestAgent } from "../fixtures.js";
import { startTestServer } from "../helpers.js";
import { loginBrowser } from "./_browser.js";

t.setTimeout(120_000);

t.test("quarantined service: request an install from its page, an owner approves it, released", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_PACKAGE_POLICY: "enforce" } });
  const reg = await registerTestAgent(s);
  t.equal((await reg.agent.post(`/api/agents/${reg.agentId}/services/report`, {
    services: [reportedService(reg.serviceCode, { manifest: { package: { name: "acme/invoice-ocr", version: "1.4.2" } } })],
  })).status, 200);
  const operator = await loginBrowser(s, "operator");
  const viewer = await loginBrowser(s, "viewer");
  const owner = await loginBrowser(s, "owner");
  const path = `/services/${reg.serviceId}`;

  const page = await operator.get(path);
  t.equal(page.status, 200);
  t.match(page.text, /QUARANTINED/);
  t.match(page.text, 'href="/packages/acme/invoice-ocr"', "links its package");
  t.match(page.text, /NOT_APPROVED/);
  t.match(page.text, 'id="package-install-form"');
  t.notMatch((await viewer.get(path)).text, 'id="package-install-form"', "viewers get no form");
  t.match((await owner.get("/")).text, /QUARANTINED 1/, "the dashboard counts it");

  const bad = await operator.post(`${path}/package-install`, { scope: "everywhere" });
  t.equal(bad.status, 303);
  t.match((await operator.follow(bad)).text, /choose this agent or all agents/);
  const sent = await operator.post(`${path}/package-install`, { scope: "agent" });
  t.equal(sent.status, 303);
  t.match((await operator.follow(sent)).text, /Install request for acme\/invoice-ocr@1.4.2 sent/);
  t.equal((await operator.post(`${path}/package-install`, { scope: "agent" }, { noCsrf: true })).status, 403, "CSRF required");

  const approvals = (await reg.operator.get("/api/admin/approvals?subjectType=PACKAGE_INSTALL")).body.data as { id: string; subject: { agentId: string } }[];
  t.equal(approvals.length, 1);
  t.equal(approvals[0]!.subject.agentId, reg.agentId);
  await owner.get(`/approvals/${approvals[0]!.id}`);
  const approved = await owner.post(`/approvals/${approvals[0]!.id}/approve`, {});
  t.equal(approved.status, 303);
  const after = await operator.get(path);
  t.notMatch(after.text, /QUARANTINED/, "released at once");
  t.notMatch(after.text, 'id="package-install-form"', "nothing left to ask for");
});
