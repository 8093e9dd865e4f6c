// A running service against its package version (real server, the real SDK bundle running the demo):
// the demo's capsule.json is a valid descriptor that matches what it reports (no drift); a changed
// descriptor shows a diff; compatibility ranges are evaluated against this server, the agent's SDK
// and the contract; incompatible, deprecated or yanked versions in use are flagged on the service and
// under the dashboard's "needs attention".
import { readFileSync } from "node:fs";
import t from "tap";
import { insertPackage, insertPackageVersion, setVersionDeprecated, setVersionYanked } from "../../src/db/packages.js";
import { rootPath } from "../../src/paths.js";
import { PackageDescriptor } from "../../src/schemas/packageDescriptor.js";
import { createRegistrationToken } from "../fixtures.js";
import { startTestServer, type TestServer } from "../helpers.js";
import { loadDemo, tokenFileIn } from "../sdk/sdkKit.js";

t.setTimeout(120_000);
const AT = "2026-12-01T03:00:00.000Z";

async function publish(s: TestServer, descriptor: Record<string, unknown>, id: string): Promise<void> {
  await insertPackage(s.db, { name: String(descriptor.name), description: null, runtime: "nodejs", tags: [], capabilities: [], createdByUserId: null, createdAt: AT });
  await insertPackageVersion(s.db, {
    id, packageName: String(descriptor.name), version: String(descriptor.version), descriptor, digest: `sha256:${"c".repeat(64)}`, digestSource: "descriptor",
    publisherUserId: null, publisher: "test", createdAt: AT,
  }, JSON.stringify(descriptor));
}

t.test("the demo's capsule.json is a valid descriptor and the demo runs it without drift; a changed descriptor shows the diff", async (t) => {
  const descriptor = JSON.parse(readFileSync(rootPath("demo/capsule.json"), "utf8"));
  t.ok(PackageDescriptor.safeParse(descriptor).success, "demo/capsule.json passes the strict descriptor schema");
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const { createDemoService } = await loadDemo();
  const demo = createDemoService({ backendUrl: s.url, registrationToken: await createRegistrationToken(op), tokenFile: tokenFileIn(s.config.dataDir) });
  await demo.agent.start();
  t.teardown(() => demo.agent.stop());
  const id = demo.agent.serviceId!;
  const svc = async () => (await op.get(`/api/admin/capsule-services/${id}`)).body.data;

  const unpublished = await svc();
  t.match(unpublished.package, { name: descriptor.name, version: descriptor.version, catalog: null, drift: null });
  t.ok(unpublished.package.flags.includes("NOT_IN_CATALOG"));

  await publish(s, descriptor, "pkv_demo");
  const linked = await svc();
  t.equal(linked.package.catalog.versionId, "pkv_demo");
  t.same(linked.package.drift, { actions: { missing: [], unexpected: [], changed: [] }, configs: { missing: [], unexpected: [], changed: [] } }, "the demo matches its descriptor");
  t.same(linked.package.compatibility.map((c: any) => [c.against, c.ok]), [["capstan", true], ["sdk", true], ["contract", true]]);
  t.same(linked.package.flags, ["NOT_APPROVED"], "warn: flagged as not approved, nothing else");

  // the same version published with a descriptor that differs: drift with a diff
  await s.db.run("UPDATE package_versions SET descriptor_json = ? WHERE id = ?", [JSON.stringify({
    ...descriptor,
    actions: [...descriptor.actions.filter((a: any) => a.name !== "failOnce").map((a: any) => (a.name === "echo" ? { ...a, dangerLevel: "HIGH" } : a)), { name: "purge", dangerLevel: "HIGH" }],
    configs: descriptor.configs.map((c: any) => (c.key === "DEMO_MAX_QUEUE_DEPTH" ? { ...c, type: "string" } : c)),
  }), "pkv_demo"]);
  const drifted = await svc();
  t.same(drifted.package.drift.actions, { missing: ["purge"], unexpected: ["failOnce"], changed: [{ name: "echo", field: "dangerLevel", expected: "HIGH", actual: "LOW" }] });
  t.same(drifted.package.drift.configs, { missing: [], unexpected: [], changed: [{ name: "DEMO_MAX_QUEUE_DEPTH", field: "type", expected: "string", actual: "number" }] });
  t.ok(drifted.package.flags.includes("DRIFT"));
});

t.test("incompatible, deprecated and yanked versions in use: flagged on the service and under needs attention", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const { CapsuleAgent } = await import(rootPath("sdk/dist/index.mjs")) as typeof import("../../sdk/src/index.js");
  const start = async (code: string, pkg: { name: string; version: string }) => {
    const agent = new CapsuleAgent({ backendUrl: s.url, registrationToken: await createRegistrationToken(op), tokenFile: tokenFileIn(s.config.dataDir, `${code}.json`), agent: { code }, package: pkg, logger: { debug() {}, info() {}, warn() {}, error() {} } });
    await agent.start();
    t.teardown(() => agent.stop());
    return agent.serviceId!;
  };
  await publish(s, { name: "acme/future", version: "1.0.0", compatibility: { capstan: ">=9.0.0", sdk: ">=0.1.0", contract: "2" } }, "pkv_future");
  await publish(s, { name: "acme/old", version: "0.9.0" }, "pkv_old");
  await publish(s, { name: "acme/bad", version: "0.1.0", compatibility: { sdk: "not a range" } }, "pkv_bad");
  await setVersionDeprecated(s.db, "pkv_old", "use acme/new", AT);
  await setVersionYanked(s.db, "pkv_bad", true, "broken build", AT);
  const future = await start("future-host", { name: "acme/future", version: "1.0.0" });
  const old = await start("old-host", { name: "acme/old", version: "0.9.0" });
  const bad = await start("bad-host", { name: "acme/bad", version: "0.1.0" });
  const pkg = async (id: string) => (await op.get(`/api/admin/capsule-services/${id}`)).body.data.package;

  const f = await pkg(future);
  t.same(f.compatibility.map((c: any) => [c.against, c.ok]), [["capstan", false], ["sdk", true], ["contract", false]]);
  t.ok(f.flags.includes("INCOMPATIBLE"));
  t.ok((await pkg(old)).flags.includes("DEPRECATED"));
  const b = await pkg(bad);
  t.ok(b.flags.includes("YANKED"));
  t.ok(b.flags.includes("INCOMPATIBLE"), "an invalid range counts as incompatible");
  t.match(b.compatibility[0], { against: "sdk", ok: false, note: "not a valid SemVer range" });

  const attention = (await op.get("/api/admin/dashboard/summary")).body.data.packageAttention as { serviceId: string; flags: string[] }[];
  t.same(attention.map((a) => a.serviceId).sort(), [future, old, bad].sort(), "the dashboard lists the three");
  const page = await op.get("/");
  for (const name of ["future-host", "old-host", "bad-host"]) t.match(page.text, name, `${name} under needs attention`);
  t.match(page.text, /YANKED/);
});
