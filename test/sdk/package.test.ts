// manifest.package (catalog.md): the SDK bundle reports which Capsule Package the host runs, from the
// host's capsule.json (default ./capsule.json, or capsuleFile) or the `package` option; a bad or
// missing file never stops the host: one warning, no package reported.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { createRegistrationToken } from "../fixtures.js";
import { startTestServer, type Client } from "../helpers.js";
import { rootPath } from "../../src/paths.js";
import { captureLogger, loadDemo, loadSdk, tokenFileIn } from "./sdkKit.js";

t.setTimeout(120_000);
const FAST = { backoff: { baseMs: 50, maxMs: 500 }, progressIntervalMs: 100 };
const DIGEST = "sha256:" + "ab".repeat(32);

async function reportedManifest(op: Client, serviceId: string): Promise<Record<string, any>> {
  return (await op.get(`/api/admin/capsule-services/${serviceId}/manifest`)).body.data;
}

t.test("the demo reports the package of its capsule.json", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const { createDemoService } = await loadDemo();
  const demo = createDemoService({ backendUrl: s.url, registrationToken: await createRegistrationToken(op), tokenFile: tokenFileIn(s.config.dataDir), ...FAST });
  await demo.agent.start();
  t.teardown(() => demo.agent.stop());
  const descriptor = JSON.parse(readFileSync(rootPath("demo/capsule.json"), "utf8"));
  t.same((await reportedManifest(op, demo.agent.serviceId!)).package, { name: descriptor.name, version: descriptor.version });
});

t.test("capsule.json in the working directory, the package option, and bad input", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const { CapsuleAgent } = await loadSdk();
  const dir = mkdtempSync(join(tmpdir(), "capstan-pkg-"));
  let n = 0;
  const run = async (opts: Record<string, unknown>) => {
    const log = captureLogger();
    const code = `pkg-host-${++n}`;
    const agent = new CapsuleAgent({
      backendUrl: s.url, registrationToken: await createRegistrationToken(op), tokenFile: tokenFileIn(s.config.dataDir, `${code}.json`),
      agent: { code }, logger: log.logger, ...FAST, ...opts,
    });
    await agent.start();
    t.teardown(() => agent.stop());
    t.equal(agent.state, "running", `${code} runs whatever its capsule.json says`);
    return { agent, log, manifest: await reportedManifest(op, agent.serviceId!) };
  };
  const warnings = (log: { lines: string[] }, about = "capsule.json") => log.lines.filter((l) => l.startsWith("warn ") && (l.includes("capsule.json") || l.includes(about)));

  // the default: ./capsule.json of the working directory; the digest is the artifact's
  writeFileSync(join(dir, "capsule.json"), JSON.stringify({ name: "acme/invoice-ocr", version: "1.4.2-rc.1", artifact: { kind: "oci", ref: "x", digest: DIGEST } }));
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const fromCwd = await run({});
    t.same(fromCwd.manifest.package, { name: "acme/invoice-ocr", version: "1.4.2-rc.1", digest: DIGEST });
  } finally {
    process.chdir(cwd);
  }
  // no capsule.json at the default path: the normal case of a service without a package, no warning
  const none = await run({});
  t.notOk("package" in none.manifest);
  t.same(warnings(none.log), []);

  // the option wins over the file; false reports none
  const opt = await run({ package: { name: "acme/other", version: "2.0.0" }, capsuleFile: join(dir, "capsule.json") });
  t.same(opt.manifest.package, { name: "acme/other", version: "2.0.0" });
  const off = await run({ package: false, capsuleFile: join(dir, "capsule.json") });
  t.notOk("package" in off.manifest);

  // bad input: one warning each, nothing reported, the host keeps running (and a refresh warns no more)
  writeFileSync(join(dir, "broken.json"), "{ not json");
  writeFileSync(join(dir, "badversion.json"), JSON.stringify({ name: "acme/x", version: "1.2" }));
  writeFileSync(join(dir, "badname.json"), JSON.stringify({ name: "Acme X", version: "1.0.0" }));
  writeFileSync(join(dir, "baddigest.json"), JSON.stringify({ name: "acme/x", version: "1.0.0", artifact: { digest: "md5:abc" } }));
  writeFileSync(join(dir, "array.json"), "[1,2]");
  writeFileSync(join(dir, "deepname.json"), JSON.stringify({ name: "acme/x/y", version: "1.0.0" }));
  writeFileSync(join(dir, "huge.json"), JSON.stringify({ name: "acme/x", version: "1.0.0", readme: "x".repeat(1024 * 1024) }));
  for (const file of ["broken.json", "badversion.json", "badname.json", "baddigest.json", "array.json", "deepname.json", "huge.json", "missing.json"]) {
    const bad = await run({ capsuleFile: join(dir, file) });
    t.notOk("package" in bad.manifest, `${file}: no package reported`);
    t.equal(warnings(bad.log, file).length, 1, `${file}: one warning`);
    bad.agent.refresh(); // reports again: the file is read once, so no second warning
    await new Promise((r) => setTimeout(r, 200));
    t.equal(warnings(bad.log, file).length, 1, `${file}: still one warning`);
  }
  const badOption = await run({ package: { name: "acme/x", version: "not-semver" } });
  t.notOk("package" in badOption.manifest);
  t.equal(warnings(badOption.log, "package option").length, 1);
});
