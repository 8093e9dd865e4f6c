// Four-eyes approvals over the API: CRITICAL / requiresApproval / owner-policy actions create
// AWAITING_APPROVAL commands that no poll returns; the requester can never review; N distinct
// reviewers; reject with a reason; cancel by the requester or an owner; expiry through the
// maintenance sweep; reviewers see the redacted payload while the sealed secrets reach the agent
// after approval; approval wakes a parked long poll at once (on PostgreSQL across nodes too).
import t from "tap";
import { registerTestAgent } from "../fixtures.js";
import { startTestServer, type Client, type Tap } from "../helpers.js";
import { onPostgres } from "../testDb.js";

t.setTimeout(240_000);

const ACTIONS = [
  { name: "echo", label: "Echo", dangerLevel: "LOW" },
  { name: "nuke", label: "Nuke", dangerLevel: "CRITICAL" },
  { name: "flagged", label: "Flagged", dangerLevel: "LOW", requiresApproval: true },
  {
    name: "login", label: "Log in", dangerLevel: "LOW",
    inputSchema: { type: "object", properties: { user: { type: "string" }, password: { type: "string", format: "password" } }, required: ["user", "password"] },
  },
];

async function setUp(t: Tap, opts: { now?: () => Date; env?: Record<string, string> } = {}) {
  const s = await startTestServer(t, opts);
  const reg = await registerTestAgent(s, { actions: ACTIONS });
  const owner = await s.loginAs("owner");
  const viewer = await s.loginAs("viewer");
  const operator2 = await s.loginAs("operator", "second-operator");
  const run = (client: Client, name: string, body: object = {}) =>
    client.post(`/api/admin/capsule-services/${reg.serviceId}/actions/${name}`, body);
  const poll = async () => ((await reg.agent.get(`/api/agents/${reg.agentId}/commands`)).body.data as { id: string; payload: Record<string, unknown> }[]);
  const approvalOf = async (commandId: string) => {
    const d = await reg.operator.get(`/api/admin/commands/${commandId}`);
    return d.body.data.approval as { id: string; status: string; approvals: number; requiredApprovals: number } | undefined;
  };
  const auditCount = async (action: string) =>
    Number((await s.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM audit_events WHERE action = ?", [action]))!.n);
  return { s, ...reg, owner, viewer, operator2, run, poll, approvalOf, auditCount };
}

t.test("a CRITICAL action waits for another person's approval, then goes to the agent", async (t) => {
  const k = await setUp(t);
  const created = await k.run(k.operator, "nuke", { confirmation: true });
  t.equal(created.status, 200);
  t.equal(created.body.data.status, "AWAITING_APPROVAL");
  const cmdId = created.body.data.id as string;
  t.same(await k.poll(), [], "an awaiting command is not claimable");

  const approval = (await k.approvalOf(cmdId))!;
  t.equal(approval.status, "PENDING");
  t.equal(approval.requiredApprovals, 1);
  const list = await k.viewer.get("/api/admin/approvals?status=PENDING");
  t.equal(list.status, 200, "viewers may read the queue");
  t.same(list.body.data.map((a: { id: string }) => a.id), [approval.id]);
  t.equal(list.body.data[0].subject.dangerLevel, "CRITICAL");
  t.equal(list.body.data[0].requestedBy, "operator-user");

  const self = await k.operator.post(`/api/admin/approvals/${approval.id}/approve`, {});
  t.equal(self.status, 403);
  t.equal(self.body.error.code, "APPROVAL_SELF_REVIEW", "the requester cannot approve");
  t.equal((await k.viewer.post(`/api/admin/approvals/${approval.id}/approve`, {})).status, 403, "viewers cannot review");
  t.same(await k.poll(), [], "still nothing for the agent");

  const ok = await k.owner.post(`/api/admin/approvals/${approval.id}/approve`, { comment: "go" });
  t.equal(ok.status, 200);
  t.equal(ok.body.data.status, "APPROVED");
  t.equal(ok.body.data.reviews[0].reviewer, "owner-user");
  t.equal(ok.body.data.reviews[0].comment, "go");
  const got = await k.poll();
  t.same(got.map((c) => c.id), [cmdId], "approval released the command to the agent");
  const detail = await k.operator.get(`/api/admin/commands/${cmdId}`);
  t.equal(detail.body.data.status, "RUNNING");
  t.equal(detail.body.data.approval.reviews[0].reviewer, "owner-user", "the command shows who approved");
  const again = await k.operator2.post(`/api/admin/approvals/${approval.id}/approve`, {});
  t.equal(again.status, 409);
  t.equal(again.body.error.code, "APPROVAL_NOT_PENDING");
  const successes = async (action: string) =>
    Number((await k.s.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM audit_events WHERE action = ? AND result = 'SUCCESS'", [action]))!.n);
  for (const a of ["approval.requested", "approval.approved", "command.approved"]) t.equal(await successes(a), 1, `${a} audited once`);
  t.equal(Number((await k.s.db.get<{ n: number }>(
    "SELECT COUNT(*) AS n FROM audit_events WHERE result = 'FAILURE' AND metadata_json LIKE '%APPROVAL_SELF_REVIEW%'"))!.n), 1, "the refused self-review is audited");
});

t.test("requiresApproval and LOW actions: only the flagged one waits", async (t) => {
  const k = await setUp(t);
  t.equal((await k.run(k.operator, "echo")).body.data.status, "PENDING", "a LOW action is dispatched at once");
  const flagged = await k.run(k.operator, "flagged");
  t.equal(flagged.body.data.status, "AWAITING_APPROVAL", "requiresApproval: true waits");
  const actions = await k.operator.get(`/api/admin/capsule-services/${k.serviceId}/actions`);
  t.equal(actions.body.data.find((a: { name: string }) => a.name === "flagged").requiresApproval, true, "the action shows requiresApproval");
});

t.test("an owner's policy asks for 2 distinct reviewers; reviewers see the redacted payload; the secret reaches the agent", async (t) => {
  const k = await setUp(t);
  t.equal((await k.operator.post("/api/admin/approval-policies", { serviceCode: k.serviceCode, actionName: "login", requiredApprovals: 2 })).status, 403, "operators cannot set policies");
  const bad = await k.owner.post("/api/admin/approval-policies", { serviceCode: k.serviceCode, actionName: "login", requiredApprovals: 4 });
  t.equal(bad.status, 422, "at most 3 reviewers");
  const pol = await k.owner.post("/api/admin/approval-policies", { serviceCode: k.serviceCode, actionName: "login", requiredApprovals: 2 });
  t.equal(pol.status, 200);
  t.equal(pol.body.data.requiredApprovals, 2);

  const created = await k.run(k.operator, "login", { payload: { user: "ann", password: "hunter2-secret" } });
  t.equal(created.body.data.status, "AWAITING_APPROVAL", "the policy makes a LOW action wait");
  const a = (await k.approvalOf(created.body.data.id))!;
  t.equal(a.requiredApprovals, 2);
  const shown = await k.owner.get(`/api/admin/approvals/${a.id}`);
  t.equal(shown.body.data.subject.payload.password, "[REDACTED]", "reviewers see the redacted payload");
  t.notMatch(shown.text, /hunter2-secret/, "the secret is nowhere in the approval");

  const first = await k.owner.post(`/api/admin/approvals/${a.id}/approve`, {});
  t.equal(first.body.data.status, "PENDING", "one of two");
  t.equal(first.body.data.approvals, 1);
  t.same(await k.poll(), [], "one approval is not enough");
  const twice = await k.owner.post(`/api/admin/approvals/${a.id}/approve`, {});
  t.equal(twice.status, 409);
  t.equal(twice.body.error.code, "APPROVAL_ALREADY_REVIEWED", "the same reviewer does not count twice");
  t.equal((await k.operator.post(`/api/admin/approvals/${a.id}/approve`, {})).body.error.code, "APPROVAL_SELF_REVIEW");
  const second = await k.operator2.post(`/api/admin/approvals/${a.id}/approve`, {});
  t.equal(second.body.data.status, "APPROVED", "the second distinct reviewer approves");
  t.equal(await k.auditCount("approval.reviewed"), 1, "the first approval was recorded as a review");
  const got = await k.poll();
  t.equal(got.length, 1);
  t.equal(got[0]!.payload.password, "hunter2-secret", "the sealed secret survived the wait and reaches the agent");

  const policies = await k.viewer.get("/api/admin/approval-policies");
  t.equal(policies.body.data.length, 1);
  t.equal((await k.owner.req("DELETE", `/api/admin/approval-policies/${pol.body.data.id}`)).status, 200);
  t.equal((await k.run(k.operator, "login", { payload: { user: "ann", password: "x" } })).body.data.status, "PENDING", "without the policy the action runs at once");
});

t.test("reject needs a reason and cancels the command; cancel is the requester's (or an owner's)", async (t) => {
  const k = await setUp(t);
  const one = (await k.run(k.operator, "nuke", { confirmation: true })).body.data.id as string;
  const a1 = (await k.approvalOf(one))!;
  const noReason = await k.owner.post(`/api/admin/approvals/${a1.id}/reject`, {});
  t.equal(noReason.status, 422, "a rejection needs a reason");
  const rej = await k.owner.post(`/api/admin/approvals/${a1.id}/reject`, { reason: "not during business hours" });
  t.equal(rej.body.data.status, "REJECTED");
  t.equal(rej.body.data.reason, "not during business hours");
  const c1 = (await k.operator.get(`/api/admin/commands/${one}`)).body.data;
  t.equal(c1.status, "CANCELLED");
  t.equal(c1.errorCode, "APPROVAL_REJECTED");
  t.match(c1.errorMessage, /not during business hours/);
  t.equal((await k.operator2.post(`/api/admin/approvals/${a1.id}/approve`, {})).status, 409, "a rejected request cannot be approved");

  const two = (await k.run(k.operator, "nuke", { confirmation: true })).body.data.id as string;
  const a2 = (await k.approvalOf(two))!;
  const other = await k.operator2.post(`/api/admin/approvals/${a2.id}/cancel`, {});
  t.equal(other.status, 403, "another operator cannot withdraw someone's request");
  const mine = await k.operator.post(`/api/admin/approvals/${a2.id}/cancel`, { reason: "wrong service" });
  t.equal(mine.body.data.status, "CANCELLED");
  t.equal((await k.operator.get(`/api/admin/commands/${two}`)).body.data.status, "CANCELLED");

  // cancelling the command itself closes its request too
  const three = (await k.run(k.operator, "nuke", { confirmation: true })).body.data.id as string;
  t.equal((await k.operator2.post(`/api/admin/commands/${three}/cancel`, {})).status, 200);
  t.equal((await k.approvalOf(three))!.status, "CANCELLED");
  t.same(await k.poll(), [], "none of them ever reached the agent");
  const pending = await k.owner.get("/api/admin/dashboard/summary");
  t.equal(pending.body.data.pendingApprovals, 0);
});

t.test("an approval nobody decides expires with its command in the maintenance sweep", async (t) => {
  let now = Date.now();
  const k = await setUp(t, { now: () => new Date(now), env: { CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "0", CAPSTAN_APPROVAL_TTL_SECONDS: "600" } });
  const id = (await k.run(k.operator, "login", { payload: { user: "u", password: "p" } })).body.data.id as string;
  t.equal((await k.owner.post("/api/admin/approval-policies", { serviceCode: k.serviceCode, requiredApprovals: 1 })).status, 200);
  const waiting = (await k.run(k.operator, "login", { payload: { user: "u", password: "sealed-pw" } })).body.data.id as string;
  t.not(id, waiting);
  t.equal((await k.owner.get("/api/admin/dashboard/summary")).body.data.pendingApprovals, 1);
  const a = (await k.approvalOf(waiting))!;
  now += 599_000;
  await k.owner.post("/api/admin/maintenance/run", {});
  t.equal((await k.approvalOf(waiting))!.status, "PENDING", "not before its deadline");
  now += 2_000;
  const late = await k.owner.post(`/api/admin/approvals/${a.id}/approve`, {});
  t.equal(late.body.error?.code, "APPROVAL_NOT_PENDING", "an overdue request cannot be approved, even before the sweep");
  const run = await k.owner.post("/api/admin/maintenance/run", {});
  t.equal(run.status, 200);
  t.equal((await k.approvalOf(waiting))!.status, "EXPIRED");
  const c = (await k.operator.get(`/api/admin/commands/${waiting}`)).body.data;
  t.equal(c.status, "EXPIRED");
  t.equal(c.errorCode, "APPROVAL_EXPIRED");
  t.equal(Number((await k.s.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM command_secrets WHERE command_id = ?", [waiting]))!.n), 0, "its sealed secrets are gone");
  t.equal(await k.auditCount("approval.expired"), 1);
  t.equal((await k.owner.get("/api/admin/dashboard/summary")).body.data.pendingApprovals, 0);
});

t.test("approval wakes a parked long poll at once", async (t) => {
  const k = await setUp(t);
  const id = (await k.run(k.operator, "nuke", { confirmation: true })).body.data.id as string;
  const a = (await k.approvalOf(id))!;
  const t0 = performance.now();
  const parked = fetch(`${k.s.url}/api/agents/${k.agentId}/commands?waitSeconds=25`, { headers: { authorization: `Bearer ${k.agentToken}` } })
    .then(async (r) => ({ ids: ((await r.json()) as { data: { id: string }[] }).data.map((c) => c.id), at: performance.now() }));
  for (let i = 0; i < 400 && k.s.app.runtime.hub.openLongPolls(k.agentId) === 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(k.s.app.runtime.hub.openLongPolls(k.agentId), 1, "the poll is parked");
  await new Promise((r) => setTimeout(r, 300));
  t.equal(k.s.app.runtime.hub.openLongPolls(k.agentId), 1, "creating the awaiting command did not answer it");
  k.s.app.runtime.hub.recheckMs = 60_000; // on PostgreSQL: only the approval's own wake-up may answer within the wait
  const approvedAt = performance.now();
  t.equal((await k.owner.post(`/api/admin/approvals/${a.id}/approve`, {})).status, 200);
  const got = await parked;
  t.same(got.ids, [id], "the parked poll got the approved command");
  t.ok(got.at - t0 < 20_000, `answered by the wake-up, not the 25 s wait's end (${(got.at - approvedAt).toFixed(0)} ms after approval)`);
});

t.test("on PostgreSQL an approval on node B wakes a poll parked on node A", onPostgres ? {} : { skip: "PostgreSQL only: one process owns a SQLite file" }, async (t) => {
  const k = await setUp(t);
  const b = await startTestServer(t, { sameDatabaseAs: k.s });
  k.s.app.runtime.hub.recheckMs = 60_000; // only the NOTIFY can wake node A's poll in time
  const id = (await k.run(k.operator, "nuke", { confirmation: true })).body.data.id as string;
  const a = (await k.approvalOf(id))!;
  const parked = fetch(`${k.s.url}/api/agents/${k.agentId}/commands?waitSeconds=25`, { headers: { authorization: `Bearer ${k.agentToken}` } })
    .then(async (r) => ({ ids: ((await r.json()) as { data: { id: string }[] }).data.map((c) => c.id), at: performance.now() }));
  for (let i = 0; i < 400 && k.s.app.runtime.hub.openLongPolls(k.agentId) === 0; i++) await new Promise((r) => setTimeout(r, 10));
  // the owner reviews on node B (same session table: the cookie works on every node)
  const ownerOnB = b.clientWith({ cookie: k.owner.cookie!, csrf: k.owner.csrf!, userId: k.owner.userId! });
  const approvedAt = performance.now();
  t.equal((await ownerOnB.post(`/api/admin/approvals/${a.id}/approve`, {})).status, 200);
  const got = await parked;
  t.same(got.ids, [id], "node A's parked poll got the command approved on node B");
  t.ok(got.at - approvedAt < 15_000, `woken by NOTIFY (${(got.at - approvedAt).toFixed(0)} ms)`);
});

t.test("two reviewers approving at the same moment: the second of two required approvals always decides", async (t) => {
  const k = await setUp(t);
  t.equal((await k.owner.post("/api/admin/approval-policies", { serviceCode: k.serviceCode, actionName: "echo", requiredApprovals: 2 })).status, 200);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const id = (await k.run(k.operator, "echo")).body.data.id as string;
    const a = (await k.approvalOf(id))!;
    const both = await Promise.all([k.owner.post(`/api/admin/approvals/${a.id}/approve`, {}), k.operator2.post(`/api/admin/approvals/${a.id}/approve`, {})]);
    t.same(both.map((r) => r.status), [200, 200], "both reviews are recorded");
    const after = (await k.approvalOf(id))!;
    t.equal(after.status, "APPROVED", "never left PENDING with two approvals");
    t.equal(after.approvals, 2);
    ids.push(id);
  }
  t.same((await k.poll()).map((c) => c.id).sort(), ids.sort(), "every approved command was dispatched once");
  t.equal(Number((await k.s.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'command.approved'"))!.n), 5, "released once each");
});
