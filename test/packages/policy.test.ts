// CAPSTAN_PACKAGE_POLICY against a real server: enforce quarantines a service whose package version
// (or digest) no approved install request allows on its agent (QUARANTINED with the reason, actions
// refused 409 PACKAGE_NOT_APPROVED, bus routes skip it), an owner's approval releases it at once;
// the requester and non-owners never decide; warn only flags; off ignores. Bad input: the envelope.
import t from "tap";
import { reportedService, registerTestAgent } from "../fixtures.js";
import { startTestServer, type Client, type Tap } from "../helpers.js";

t.setTimeout(240_000);

const DIGEST_A = "sha256:" + "a".repeat(64);
const DIGEST_B = "sha256:" + "b".repeat(64);

async function setUp(t: Tap, policy?: "off" | "warn" | "enforce", env: Record<string, string> = {}) {
  const s = await startTestServer(t, { env: { ...(policy ? { CAPSTAN_PACKAGE_POLICY: policy } : {}), ...env } });
  const reg = await registerTestAgent(s);
  const owner = await s.loginAs("owner");
  const owner2 = await s.loginAs("owner", "second-owner");
  const operator2 = await s.loginAs("operator", "second-operator");
  const report = async (pkg: Record<string, unknown> | undefined, code = reg.serviceCode) => {
    const r = await reg.agent.post(`/api/agents/${reg.agentId}/services/report`, { services: [reportedService(code, { manifest: pkg ? { package: pkg } : {} })] });
    return r;
  };
  const service = async (id = reg.serviceId) => (await reg.operator.get(`/api/admin/capsule-services/${id}`)).body.data;
  const run = (client: Client = reg.operator, id = reg.serviceId) => client.post(`/api/admin/capsule-services/${id}/actions/echo`, { payload: { message: "hi" } });
  const auditCount = async (action: string, result?: string) =>
    Number((await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM audit_events WHERE action = ?${result ? " AND result = ?" : ""}`, result ? [action, result] : [action]))!.n);
  return { s, ...reg, owner, owner2, operator2, report, service, run, auditCount };
}

t.test("enforce: quarantined until an owner approves an install request, then released at once", async (t) => {
  const k = await setUp(t, "enforce");
  t.equal((await k.report({ name: "acme/invoice-ocr", version: "1.4.2" })).status, 200);
  const before = await k.service();
  t.equal(before.status, "QUARANTINED");
  t.match(before.statusReason, /package acme\/invoice-ocr@1\.4\.2 is not approved for agent test-agent-\d+/);
  t.equal(before.storedStatus === "QUARANTINED", false, "never stored");
  t.match(before.package, { name: "acme/invoice-ocr", version: "1.4.2", approved: false, policy: "enforce", catalog: null });
  t.same([...before.package.flags].sort(), ["NOT_APPROVED", "NOT_IN_CATALOG"]);

  const listed = await k.operator.get("/api/admin/capsule-services?status=QUARANTINED");
  t.same(listed.body.data.map((s: any) => s.id), [k.serviceId], "the status filter finds it");
  t.equal((await k.operator.get("/api/admin/capsule-services?status=UNKNOWN&status=HEALTHY")).body.data.length, 0);
  t.equal((await k.operator.get("/api/admin/dashboard/summary")).body.data.serviceCounts.QUARANTINED, 1);

  const refused = await k.run();
  t.equal(refused.status, 409);
  t.equal(refused.body.success, false);
  t.equal(refused.body.error.code, "PACKAGE_NOT_APPROVED");
  t.match(refused.body.error.details, { package: "acme/invoice-ocr", version: "1.4.2", agentId: k.agentId });
  t.equal((await k.operator.get(`/api/admin/capsule-services/${k.serviceId}/actions/echo`)).body.error?.code, "PACKAGE_NOT_APPROVED", "prepare too");

  // an install request for another version releases nothing
  const other = await k.operator.post("/api/admin/package-installs", { packageName: "acme/invoice-ocr", version: "1.4.3", agentId: k.agentId });
  t.equal(other.status, 200);
  const asked = await k.operator.post("/api/admin/package-installs", { packageName: "acme/invoice-ocr", version: "1.4.2", agentId: k.agentId });
  t.equal(asked.status, 200);
  t.match(asked.body.data, { packageName: "acme/invoice-ocr", version: "1.4.2", agentId: k.agentId, status: "PENDING_APPROVAL", digest: null });
  const approvalId = asked.body.data.approvalId as string;
  const approval = (await k.operator.get(`/api/admin/approvals/${approvalId}`)).body.data;
  t.match(approval, { subjectType: "PACKAGE_INSTALL", subjectId: asked.body.data.id, status: "PENDING", subject: { packageName: "acme/invoice-ocr", version: "1.4.2" } });
  t.equal((await k.operator.get(`/api/admin/package-installs?packageName=acme/invoice-ocr&version=1.4.2`)).body.data.length, 1);

  // never the requester; never a non-owner; each refusal audited
  const self = await k.operator.post(`/api/admin/approvals/${approvalId}/approve`, {});
  t.equal(self.status, 403);
  t.equal(self.body.error.code, "APPROVAL_SELF_REVIEW");
  const notOwner = await k.operator2.post(`/api/admin/approvals/${approvalId}/approve`, {});
  t.equal(notOwner.status, 403);
  t.equal(notOwner.body.error.code, "FORBIDDEN");
  t.equal((await k.operator2.post(`/api/admin/approvals/${approvalId}/reject`, { reason: "no" })).status, 403);
  t.equal((await k.service()).status, "QUARANTINED", "still quarantined after refused reviews");
  t.ok(await k.auditCount("approval.approved", "FAILURE") >= 2, "refusals audited");

  const approved = await k.owner.post(`/api/admin/approvals/${approvalId}/approve`, { comment: "vetted" });
  if (!t.equal(approved.status, 200, approved.text)) t.comment(k.s.logs.filter((l) => l.includes("error")).join("\n").slice(0, 3000));
  const after = await k.service();
  t.not(after.status, "QUARANTINED", "released at once, no heartbeat needed");
  t.equal(after.package.approved, true);
  t.notOk(after.package.flags.includes("NOT_APPROVED"));
  t.equal((await k.run()).status, 200, "its actions run again");
  t.equal((await k.operator.get(`/api/admin/package-installs/${asked.body.data.id}`)).body.data.status, "APPROVED");
  t.equal(await k.auditCount("package.install.requested"), 2);
  t.equal(await k.auditCount("package.install.approved"), 1);

  // a new version is not approved by the old version's install
  await k.report({ name: "acme/invoice-ocr", version: "1.5.0" });
  t.equal((await k.service()).status, "QUARANTINED");
});

t.test("enforce: a digest-pinned install allows that digest only; an install for all agents; reject needs an owner and a reason", async (t) => {
  const k = await setUp(t, "enforce");
  await k.report({ name: "acme/pinned", version: "2.0.0", digest: DIGEST_B });
  const asked = await k.operator.post("/api/admin/package-installs", { packageName: "acme/pinned", version: "2.0.0", digest: DIGEST_A });
  t.equal(asked.status, 200);
  t.equal(asked.body.data.agentId, null, "all agents");
  t.equal((await k.owner.post(`/api/admin/approvals/${asked.body.data.approvalId}/approve`, {})).status, 200);
  const s1 = await k.service();
  t.equal(s1.status, "QUARANTINED", "the approved digest is another one");
  t.match(s1.statusReason, /sha256:bbbbbbbb/);
  await k.report({ name: "acme/pinned", version: "2.0.0", digest: DIGEST_A });
  t.not((await k.service()).status, "QUARANTINED", "the approved digest runs on any agent");

  await k.report({ name: "acme/rejected", version: "0.1.0" });
  const asked2 = await k.operator.post("/api/admin/package-installs", { packageName: "acme/rejected", version: "0.1.0", agentId: k.agentId });
  t.equal((await k.owner.post(`/api/admin/approvals/${asked2.body.data.approvalId}/reject`, {})).status, 422, "a reason is required");
  t.equal((await k.owner.post(`/api/admin/approvals/${asked2.body.data.approvalId}/reject`, { reason: "unvetted licence" })).status, 200);
  t.equal((await k.operator.get(`/api/admin/package-installs/${asked2.body.data.id}`)).body.data.status, "REJECTED");
  t.equal((await k.service()).status, "QUARANTINED");
  t.equal(await k.auditCount("package.install.rejected"), 1);
});

t.test("warn flags without quarantining; off ignores packages; a service without a package is not governed", async (t) => {
  const warn = await setUp(t); // the default is warn
  await warn.report({ name: "acme/invoice-ocr", version: "1.4.2" });
  const w = await warn.service();
  t.not(w.status, "QUARANTINED");
  t.equal(w.package.policy, "warn");
  t.ok(w.package.flags.includes("NOT_APPROVED"), "flagged");
  t.equal((await warn.run()).status, 200, "actions run");

  const off = await setUp(t, "off");
  await off.report({ name: "acme/invoice-ocr", version: "1.4.2" });
  const o = await off.service();
  t.not(o.status, "QUARANTINED");
  t.equal(o.package, null, "off: no package info");
  t.equal((await off.run()).status, 200);

  const plain = await setUp(t, "enforce");
  t.not((await plain.service()).status, "QUARANTINED", "no manifest.package: nothing to approve");
  t.equal((await plain.run()).status, 200);
});

t.test("bad input gets the error envelope", async (t) => {
  const k = await setUp(t, "enforce");
  for (const pkg of [{ name: "Acme Ocr", version: "1.0.0" }, { name: "acme/x", version: "1.0" }, { name: "acme/x", version: "1.0.0", digest: "md5:1" }, { name: "acme/x", version: "1.0.0", extra: 1 }, "acme/x@1"]) {
    const r = await k.report(pkg as Record<string, unknown>);
    t.equal(r.status, 422, JSON.stringify(pkg));
    t.equal(r.body.error?.code, "CAPSULE_SERVICE_MANIFEST_INVALID");
    t.match(r.body.error.details.issues[0].path, /^manifest\.package/);
  }
  const bodies: [unknown, number, string][] = [
    [{}, 422, "VALIDATION_FAILED"],
    [{ packageName: "acme/x", version: "latest" }, 422, "VALIDATION_FAILED"],
    [{ packageName: "acme/x", version: "1.0.0", agentId: "nope" }, 422, "VALIDATION_FAILED"],
    [{ packageName: "acme/x", version: "1.0.0", agentId: "agt_01ARZ3NDEKTSV4RRFFQ69G5FAV" }, 404, "AGENT_NOT_FOUND"],
    [{ packageName: "acme/x", version: "1.0.0", surprise: true }, 422, "VALIDATION_FAILED"],
    [[1, 2], 422, "VALIDATION_FAILED"],
  ];
  for (const [body, status, code] of bodies) {
    const r = await k.operator.post("/api/admin/package-installs", body as object);
    t.equal(r.status, status, JSON.stringify(body));
    t.equal(r.body.error?.code, code);
  }
  t.equal((await k.operator.get("/api/admin/package-installs?packageName=acme/x")).status, 422);
  t.equal((await k.operator.get("/api/admin/package-installs?packageName=acme/x&version=1.0.0&what=1")).status, 422);
  t.equal((await k.operator.get("/api/admin/package-installs/pki_nope")).body.error?.code, "NOT_FOUND");
  const viewer = await k.s.loginAs("viewer");
  t.equal((await viewer.post("/api/admin/package-installs", { packageName: "acme/x", version: "1.0.0" })).status, 403, "viewers cannot ask");
});
