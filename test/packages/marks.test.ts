// Owners' marks on versions (yank, deprecate; audited) and a publish request nobody decides: it
// expires with the approvals sweep and the version is REJECTED with the reason.
import t from "tap";
import { descriptor, packageKit } from "./kit.js";

t.setTimeout(240_000);

t.test("yank and deprecate: owners only, audited, reflected in latest and the registry", async (t) => {
  const k = await packageKit(t);
  await k.publishApproved(descriptor({ version: "1.0.0" }));
  await k.publishApproved(descriptor({ version: "1.1.0" }));
  const v = "/api/admin/packages/acme%2Finvoice-ocr/versions";
  t.equal((await k.operator.post(`${v}/1.1.0/yank`, { reason: "broken" })).status, 403, "operators cannot yank");
  const yank = await k.owner.post(`${v}/1.1.0/yank`, { reason: "broken build" });
  t.equal(yank.status, 200, yank.text);
  t.match(yank.body.data, { version: "1.1.0", yanked: true, yankedReason: "broken build" });
  t.equal((await k.viewer.get("/api/admin/packages/acme%2Finvoice-ocr")).body.data.latestVersion, "1.0.0", "a yanked version is not latest");
  const index = JSON.parse((await k.viewer.get("/registry/v1/index.json")).text);
  t.match(index.packages[0], { latest: "1.0.0", versions: [{ version: "1.1.0", yanked: true }, { version: "1.0.0", yanked: false }] }, "still listed, flagged");
  t.equal((await k.owner.post(`${v}/1.1.0/unyank`, {})).body.data.yanked, false);
  t.equal((await k.viewer.get("/api/admin/packages/acme%2Finvoice-ocr")).body.data.latestVersion, "1.1.0");
  const dep = await k.owner.post(`${v}/1.0.0/deprecate`, { message: "upgrade to 1.1" });
  t.equal(dep.body.data.deprecated, "upgrade to 1.1");
  t.equal((await k.owner.post(`${v}/1.0.0/deprecate`, { message: null })).body.data.deprecated, null, "null clears it");
  const missing = await k.owner.post(`${v}/9.9.9/yank`, {});
  t.equal(missing.status, 404);
  t.equal(missing.body.error.code, "PACKAGE_VERSION_NOT_FOUND");
  t.equal((await k.owner.post("/api/admin/packages/acme%2Fnope/versions/1.0.0/yank", {})).body.error.code, "PACKAGE_NOT_FOUND");
  t.equal((await k.owner.post(`${v}/1.0.0/deprecate`, { message: ["x"] })).status, 422, "bad body: the envelope");
  const actions = (await k.s.db.all<{ action: string }>("SELECT action FROM audit_events WHERE action LIKE 'package.version.%yank%' OR action LIKE 'package.version.%deprecated' ORDER BY created_at, id")).map((a) => a.action);
  t.same(actions, ["package.version.yanked", "package.version.unyanked", "package.version.deprecated", "package.version.undeprecated"]);
});

t.test("an undecided publish request expires: REJECTED with the reason", async (t) => {
  let now = Date.now();
  const k = await packageKit(t, { CAPSTAN_APPROVAL_TTL_SECONDS: "600", CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "0" }, () => new Date(now));
  const pub = await k.operator.post("/api/admin/packages", descriptor());
  const approvalId = await k.approvalOf(pub.body.data.id);
  now += 601_000;
  t.equal((await k.owner.post(`/api/admin/approvals/${approvalId}/approve`, {})).body.error.code, "APPROVAL_NOT_PENDING", "overdue: no approval");
  await k.owner.post("/api/admin/maintenance/run", {});
  const ver = (await k.viewer.get("/api/admin/packages/acme%2Finvoice-ocr")).body.data.versions[0];
  t.match(ver, { status: "REJECTED", decisionReason: /expired/ });
  t.equal(JSON.parse((await k.viewer.get("/registry/v1/index.json")).text).packages.length, 0, "never in the registry");
});
