// Publishing package versions (issue #17 points 4, 5): an operator publishes, the version waits
// PENDING_APPROVAL with a request in the approvals queue; the submitter can never approve it, an
// operator cannot either (owners decide), a rejection needs a reason; duplicates, digest conflicts,
// digest mismatches, non-SemVer versions and malformed descriptors get the error envelope; every
// step and refusal is audited.
import t from "tap";
import { createApiToken } from "../../src/domain/apiTokens.js";
import { descriptor, packageKit } from "./kit.js";

t.setTimeout(240_000);

const DIGEST = `sha256:${"ab".repeat(32)}`;

t.test("publish -> PENDING_APPROVAL -> an owner approves; never the submitter", async (t) => {
  const k = await packageKit(t);
  const pub = await k.operator.post("/api/admin/packages", descriptor());
  t.equal(pub.status, 201, pub.text);
  t.match(pub.body.data, { name: "acme/invoice-ocr", version: "1.4.2", status: "PENDING_APPROVAL", publisher: "operator-user", digestSource: "descriptor" });
  t.match(pub.body.data.digest, /^sha256:[0-9a-f]{64}$/);
  const approvalId = await k.approvalOf(pub.body.data.id);
  const detail = await k.owner.get(`/api/admin/approvals/${approvalId}`);
  t.match(detail.body.data.subject, { package: "acme/invoice-ocr", version: "1.4.2" }, "reviewers see package and version");

  const self = await k.operator.post(`/api/admin/approvals/${approvalId}/approve`, {});
  t.equal(self.status, 403);
  t.equal(self.body.error.code, "APPROVAL_SELF_REVIEW", "the submitter cannot approve");
  const op2 = await k.s.loginAs("operator", "second-operator");
  const byOperator = await op2.post(`/api/admin/approvals/${approvalId}/approve`, {});
  t.equal(byOperator.status, 403, "an operator other than the submitter cannot approve a package either");
  t.equal(byOperator.body.error.code, "FORBIDDEN");
  const noReason = await k.owner.post(`/api/admin/approvals/${approvalId}/reject`, {});
  t.equal(noReason.status, 422, "reject needs a reason");

  const approve = await k.owner.post(`/api/admin/approvals/${approvalId}/approve`, {});
  t.equal(approve.status, 200, approve.text);
  const pkg = await k.viewer.get("/api/admin/packages/acme%2Finvoice-ocr");
  t.equal(pkg.status, 200);
  t.match(pkg.body.data, { name: "acme/invoice-ocr", latestVersion: "1.4.2", versions: [{ version: "1.4.2", status: "APPROVED" }] });
  t.same((await k.viewer.get("/api/admin/packages/acme/invoice-ocr")).body.data.name, "acme/invoice-ocr", "the unencoded form answers too");
  const actions = (await k.s.db.all<{ action: string; result: string }>("SELECT action, result FROM audit_events WHERE action LIKE 'package.%' OR action LIKE 'approval.%' ORDER BY created_at, id"))
    .map((a) => `${a.action}:${a.result}`);
  t.same(actions, [
    "approval.requested:SUCCESS", "package.version.published:SUCCESS", "approval.approved:FAILURE", "approval.approved:FAILURE",
    "approval.approved:SUCCESS", "package.version.approved:SUCCESS",
  ], "publish, the refused approvals and the approval are audited");
});

t.test("reject with a reason -> REJECTED, shown on the version", async (t) => {
  const k = await packageKit(t);
  const pub = await k.operator.post("/api/admin/packages", descriptor({ version: "2.0.0-rc.1" }));
  const approvalId = await k.approvalOf(pub.body.data.id);
  t.equal((await k.owner.post(`/api/admin/approvals/${approvalId}/reject`, { reason: "license unclear" })).status, 200);
  const pkg = await k.viewer.get("/api/admin/packages/acme%2Finvoice-ocr");
  t.match(pkg.body.data.versions[0], { version: "2.0.0-rc.1", status: "REJECTED", decisionReason: "rejected: license unclear" });
  t.equal(pkg.body.data.latestVersion, null, "nothing approved: no latest");
});

t.test("bad input gets the error envelope", async (t) => {
  const k = await packageKit(t);
  const post = (body: unknown, q = "") => k.operator.post(`/api/admin/packages${q}`, body);
  const expect = async (label: string, res: Promise<{ status: number; body: any }>, status: number, code: string) => {
    const r = await res;
    t.equal(r.status, status, `${label}: ${status}`);
    t.match(r.body, { success: false, error: { code, message: String } }, `${label}: ${code}`);
  };
  await expect("not SemVer", post(descriptor({ version: "1.0" })), 422, "PACKAGE_VERSION_INVALID");
  await expect("v-prefixed", post(descriptor({ version: "v1.0.0" })), 422, "PACKAGE_VERSION_INVALID");
  await expect("unknown field", post(descriptor({ colour: "red" })), 422, "VALIDATION_FAILED");
  await expect("not an object", post([1, 2]), 422, "VALIDATION_FAILED");
  await expect("readme over 64 KiB", post(descriptor({ readme: "x".repeat(64 * 1024 + 1) })), 422, "VALIDATION_FAILED");
  await expect("bad name", post(descriptor({ name: "Acme/OCR" })), 422, "VALIDATION_FAILED");
  await expect("bad digest query", post(descriptor(), "?digest=md5:abc"), 422, "VALIDATION_FAILED");
  const withArtifact = descriptor({ version: "1.0.0", artifact: { kind: "npm", ref: "@acme/ocr@1.0.0", digest: DIGEST } });
  await expect("supplied digest differs", post(withArtifact, `?digest=sha256:${"cd".repeat(32)}`), 422, "PACKAGE_DIGEST_MISMATCH");
  const first = await post(withArtifact, `?digest=${DIGEST}`);
  t.equal(first.status, 201, "a matching supplied digest is accepted");
  t.match(first.body.data, { digest: DIGEST, digestSource: "artifact" });
  await expect("same version again", post(withArtifact), 409, "PACKAGE_VERSION_EXISTS");
  await expect("same version, other digest", post({ ...withArtifact, artifact: { kind: "npm", ref: "x", digest: `sha256:${"ef".repeat(32)}` } }), 409, "PACKAGE_DIGEST_CONFLICT");
  const viewerPost = await k.viewer.post("/api/admin/packages", descriptor());
  t.equal(viewerPost.status, 403, "viewers cannot publish");
  const refusals = await k.s.db.all<{ n: number }>("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'package.version.published' AND result = 'FAILURE'");
  t.equal(Number(refusals[0]!.n), 9, "every refused publish is audited");
});

t.test("a CI job publishes with an API token (no CSRF)", async (t) => {
  const k = await packageKit(t);
  const tok = await createApiToken(k.s.app, { type: "SYSTEM", id: null }, k.operator.userId!, { name: "ci" });
  const ci = k.s.clientWith({ token: tok.rawToken });
  const res = await ci.post("/api/admin/packages", descriptor());
  t.equal(res.status, 201, res.text);
  t.equal(res.body.data.publisher, "operator-user");
});
