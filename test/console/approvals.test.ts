// The approvals console without JavaScript: the navigation badge for reviewers, the queue, the review
// page (redacted payload, forms only for whoever may use them), reject needing a reason, the
// dashboard's "needs attention", who approved on the command page, and owners' policy forms.
import t from "tap";
import { registerTestAgent } from "../fixtures.js";
import { startTestServer, type Client, type TestServer } from "../helpers.js";

t.setTimeout(240_000);

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const post = (s: TestServer, c: Client, path: string, fields: Record<string, string>) =>
  s.clientWith({ cookie: c.cookie! }).req("POST", path, new URLSearchParams({ _csrf: c.csrf!, ...fields }).toString(), FORM);
const page = (s: TestServer, c: Client, path: string) => s.clientWith({ cookie: c.cookie! }).get(path);

t.test("reviewers find, read and decide requests in the console", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_PREPARE_TIMEOUT_SECONDS: "0.2" } });
  const reg = await registerTestAgent(s, {
    actions: [
      { name: "nuke", label: "Nuke everything", dangerLevel: "CRITICAL" },
      { name: "login", label: "Log in", dangerLevel: "LOW", inputSchema: { type: "object", properties: { password: { type: "string", format: "password" } } } },
    ],
  });
  const operator = reg.operator;
  const owner = await s.loginAs("owner");
  const viewer = await s.loginAs("viewer");

  const runPage = await page(s, operator, `/services/${reg.serviceId}/actions/nuke`);
  t.match(runPage.text, /id="approval-notice"[^>]*>This action runs only after another person approves it/, "the run form says the action needs approval");
  t.notMatch((await page(s, operator, `/services/${reg.serviceId}/actions/login`)).text, /id="approval-notice"/, "not for actions that need none");
  const before = await page(s, owner, "/");
  t.notMatch(before.text, /id="nav-approvals-count"/, "no badge while nothing waits");
  const cmd = (await operator.post(`/api/admin/capsule-services/${reg.serviceId}/actions/nuke`, { confirmation: true })).body.data.id as string;
  const approvalId = (await operator.get(`/api/admin/commands/${cmd}`)).body.data.approval.id as string;

  const dash = await page(s, owner, "/");
  t.match(dash.text, /id="nav-approvals-count"[^>]*>1</, "reviewers see the pending count in the navigation");
  t.match(dash.text, /id="attention-approvals"[\s\S]*Nuke everything/, "the dashboard's needs-attention lists the pending approval");
  t.notMatch((await page(s, viewer, "/")).text, /id="nav-approvals-count"/, "viewers, who cannot review, get no badge");

  const list = await page(s, viewer, "/approvals?status=PENDING");
  t.equal(list.status, 200);
  t.match(list.text, new RegExp(`href="/approvals/${approvalId}">Nuke everything<`));
  t.equal((await page(s, viewer, "/approvals?status=BOGUS")).status, 422, "a bad filter is a 4xx, not a crash");

  const asRequester = await page(s, operator, `/approvals/${approvalId}`);
  t.match(asRequester.text, /id="approval-own"/, "the requester is told another person must review");
  t.notMatch(asRequester.text, /\/approve"/, "and gets no approve form");
  t.match(asRequester.text, /id="approval-cancel"/, "but may withdraw the request");
  const asOwner = await page(s, owner, `/approvals/${approvalId}`);
  t.match(asOwner.text, new RegExp(`action="/approvals/${approvalId}/approve"`));
  t.match(asOwner.text, /name="_csrf" value="[^"]+"/, "forms carry the CSRF token");
  t.notMatch((await page(s, viewer, `/approvals/${approvalId}`)).text, /\/approve"/, "viewers get no review forms");

  const noReason = await post(s, owner, `/approvals/${approvalId}/reject`, { reason: "  " });
  t.equal(noReason.status, 303, "an empty reason goes back to the page");
  t.match((await page(s, owner, `/approvals/${approvalId}`)).text, /needs a reason/, "with the message as a flash");
  t.equal((await owner.get(`/api/admin/approvals/${approvalId}`)).body.data.status, "PENDING", "nothing was decided");

  const approved = await post(s, owner, `/approvals/${approvalId}/approve`, { comment: "" });
  t.equal(approved.status, 303);
  const after = await page(s, owner, `/approvals/${approvalId}`);
  t.match(after.text, /Approved: the command is on its way/);
  t.match(after.text, /id="approval-status">APPROVED</);
  const cmdPage = await page(s, viewer, `/commands/${cmd}`);
  t.match(cmdPage.text, /id="command-approved-by">Approved by owner-user/, "the command page shows who approved");
  t.notMatch((await page(s, owner, "/")).text, /id="nav-approvals-count"/, "the badge is gone once decided");

  // redacted payload on the review page, under an owner's policy
  t.equal((await post(s, operator, "/approval-policies", { serviceCode: reg.serviceCode, actionName: "login", requiredApprovals: "1" })).status, 403, "operators cannot set policies");
  t.equal((await post(s, owner, "/approval-policies", { serviceCode: reg.serviceCode, actionName: "login", requiredApprovals: "1" })).status, 303);
  const policies = await page(s, viewer, "/approval-policies");
  t.match(policies.text, new RegExp(`${reg.serviceCode}</td><td class="mono">login</td><td>1<`));
  const secret = (await operator.post(`/api/admin/capsule-services/${reg.serviceId}/actions/login`, { payload: { password: "pw-console-secret" } })).body.data;
  t.equal(secret.status, "AWAITING_APPROVAL");
  const secretApproval = (await operator.get(`/api/admin/commands/${secret.id}`)).body.data.approval.id as string;
  const review = await page(s, owner, `/approvals/${secretApproval}`);
  t.match(review.text, /\[REDACTED\]/);
  t.notMatch(review.text, /pw-console-secret/, "the review page never shows a secret");
  const rejected = await post(s, owner, `/approvals/${secretApproval}/reject`, { reason: "use the vault" });
  t.equal(rejected.status, 303);
  t.match((await page(s, owner, `/approvals/${secretApproval}`)).text, /id="approval-reason">use the vault</);
  t.match((await page(s, owner, `/commands/${secret.id}`)).text, /CANCELLED/);
  const policyId = (await owner.get("/api/admin/approval-policies")).body.data[0].id as string;
  t.equal((await post(s, owner, `/approval-policies/${policyId}/delete`, {})).status, 303);
  t.same((await owner.get("/api/admin/approval-policies")).body.data, []);
});
