// No path dispatches an unapproved command: API execute, the console's action form, retry of an
// approved command, a bus route, a crafted console form approving one's own request, the requester
// approving through the API, an agent reporting on an awaiting command. After every attempt the
// agent's poll is empty and the request is still PENDING; only another person's approval releases it.
import t from "tap";
import { registerTestAgent } from "../fixtures.js";
import { startTestServer, type Client, type TestServer } from "../helpers.js";

t.setTimeout(240_000);

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { "content-type": "application/x-www-form-urlencoded" };

/** A console session that sends its CSRF token only in the form (as a browser without JavaScript does). */
const browser = (s: TestServer, c: Client) => s.clientWith({ cookie: c.cookie! });

t.test("every path to dispatch an unapproved command is refused or ends in AWAITING_APPROVAL", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_BUS_ENABLED: "true" } });
  const src = await registerTestAgent(s, { code: "shop-agent", serviceCode: "shop", actions: [] });
  const tgt = await registerTestAgent(s, { code: "ops-agent", serviceCode: "ops", actions: [{ name: "nuke", label: "Nuke", dangerLevel: "CRITICAL" }] });
  const operator = tgt.operator;
  const owner = await s.loginAs("owner");
  const viewer = await s.loginAs("viewer");
  const poll = async () => ((await tgt.agent.get(`/api/agents/${tgt.agentId}/commands`)).body.data as { id: string }[]).map((c) => c.id);
  const approvalOf = async (commandId: string) => (await owner.get(`/api/admin/commands/${commandId}`)).body.data.approval as { id: string; status: string };
  const statusOf = async (commandId: string) => (await owner.get(`/api/admin/commands/${commandId}`)).body.data.status as string;
  const awaiting: string[] = [];

  // 1. API execute
  const viaApi = await operator.post(`/api/admin/capsule-services/${tgt.serviceId}/actions/nuke`, { confirmation: true });
  t.equal(viaApi.body.data.status, "AWAITING_APPROVAL", "API execute waits");
  awaiting.push(viaApi.body.data.id);

  // 2. the console's action form, posted without JavaScript
  const viaForm = await browser(s, operator).req("POST", `/services/${tgt.serviceId}/actions/nuke`, form({ _csrf: operator.csrf!, confirmed: "yes" }), FORM);
  t.equal(viaForm.status, 303, "the form redirects to the command");
  const formCmd = viaForm.headers.get("location")!.split("/").pop()!;
  t.equal(await statusOf(formCmd), "AWAITING_APPROVAL", "the console form waits too");
  awaiting.push(formCmd);

  // 3. retry: of an awaiting command (refused) and of an approved, finished one (waits again)
  const retryAwaiting = await operator.post(`/api/admin/commands/${viaApi.body.data.id}/retry`, { confirmation: true });
  t.equal(retryAwaiting.status, 409, "an awaiting command cannot be retried");
  t.equal(retryAwaiting.body.error.code, "COMMAND_NOT_RETRYABLE");
  const done = (await operator.post(`/api/admin/capsule-services/${tgt.serviceId}/actions/nuke`, { confirmation: true })).body.data.id as string;
  t.equal((await owner.post(`/api/admin/approvals/${(await approvalOf(done)).id}/approve`, {})).status, 200);
  t.same(await poll(), [done], "only the approved command reached the agent");
  t.equal((await tgt.agent.post(`/api/agents/${tgt.agentId}/commands/${done}/result`, { success: true })).status, 200);
  const retried = await operator.post(`/api/admin/commands/${done}/retry`, { confirmation: true });
  t.equal(retried.status, 200);
  t.equal(retried.body.data.status, "AWAITING_APPROVAL", "a retry of an approved command needs its own approval");
  awaiting.push(retried.body.data.id);
  const retryViaConsole = await browser(s, operator).req("POST", `/commands/${done}/retry`, form({ _csrf: operator.csrf!, confirmation: "true" }), FORM);
  t.equal(retryViaConsole.status, 303);
  const consoleRetry = retryViaConsole.headers.get("location")!.split("/").pop()!;
  t.equal(await statusOf(consoleRetry), "AWAITING_APPROVAL", "the console's Retry waits too");
  awaiting.push(consoleRetry);

  // 4. a bus route to the CRITICAL action, confirmed and ENABLED
  const route = await operator.post("/api/admin/bus/routes", {
    name: "Nuke on alarm", status: "ENABLED", confirmed: true,
    trigger: { eventType: "shop.alarm", sourceServiceCode: "shop" }, action: { targetServiceCode: "ops", actionName: "nuke" },
  });
  t.equal(route.status, 200, route.text);
  const published = await src.agent.post(`/api/agents/${src.agentId}/bus/events`, { eventType: "shop.alarm", data: {} });
  t.equal(published.status, 200, published.text);
  const busCmd = published.body.data.commandIds[0] as string;
  t.equal(await statusOf(busCmd), "AWAITING_APPROVAL", "a bus-created command waits");
  awaiting.push(busCmd);
  const busApproval = await approvalOf(busCmd);
  const byAuthor = await operator.post(`/api/admin/approvals/${busApproval.id}/approve`, {});
  t.equal(byAuthor.body.error?.code, "APPROVAL_SELF_REVIEW", "the route's author cannot approve what the route asked for");

  // 5. the requester approving: API, console form, and a crafted form without the CSRF token
  const own = await approvalOf(viaApi.body.data.id);
  const apiSelf = await operator.post(`/api/admin/approvals/${own.id}/approve`, {});
  t.equal(apiSelf.status, 403);
  t.equal(apiSelf.body.error.code, "APPROVAL_SELF_REVIEW");
  const formSelf = await browser(s, operator).req("POST", `/approvals/${own.id}/approve`, form({ _csrf: operator.csrf! }), FORM);
  t.equal(formSelf.status, 403, "a crafted form approving one's own request is refused");
  t.match(formSelf.text, /another person/);
  const noCsrf = await browser(s, owner).req("POST", `/approvals/${own.id}/approve`, form({}), FORM);
  t.equal(noCsrf.status, 403, "a cross-site form without the CSRF token is refused");
  const otherCsrf = await browser(s, owner).req("POST", `/approvals/${own.id}/approve`, form({ _csrf: operator.csrf! }), FORM);
  t.equal(otherCsrf.status, 403, "someone else's CSRF token does not work");
  const viewerForm = await browser(s, viewer).req("POST", `/approvals/${own.id}/approve`, form({ _csrf: viewer.csrf! }), FORM);
  t.equal(viewerForm.status, 403, "viewers cannot review");

  // 6. the agent reporting on an awaiting command it never received
  const result = await tgt.agent.post(`/api/agents/${tgt.agentId}/commands/${viaApi.body.data.id}/result`, { success: true });
  t.equal(result.status, 409);
  t.equal(result.body.error.code, "COMMAND_INVALID_TRANSITION");
  const progress = await tgt.agent.post(`/api/agents/${tgt.agentId}/commands/${viaApi.body.data.id}/progress`, { percent: 0.5 });
  t.equal(progress.status, 409);

  // after every attempt: nothing dispatched, every request still PENDING
  t.same(await poll(), [], "the agent received none of the unapproved commands");
  for (const id of awaiting) {
    t.equal(await statusOf(id), "AWAITING_APPROVAL", `${id} still awaits approval`);
    t.equal((await approvalOf(id)).status, "PENDING");
  }
  const dispatched = await s.db.all<{ target_id: string }>("SELECT target_id FROM audit_events WHERE action = 'command.dispatched'");
  t.same(dispatched.map((r) => r.target_id), [done], "command.dispatched was audited for the approved command only");

  // and the one legitimate path: another person approves through the console form
  const approveForm = await browser(s, owner).req("POST", `/approvals/${own.id}/approve`, form({ _csrf: owner.csrf!, comment: "checked" }), FORM);
  t.equal(approveForm.status, 303);
  t.same(await poll(), [viaApi.body.data.id], "approved by the owner's form: dispatched");
});
