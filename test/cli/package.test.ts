// capstan package publish (over HTTP with an API token, as CI does) and capstan registry rotate-key
// (on the data dir), through the built binary.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { createApiToken } from "../../src/domain/apiTokens.js";
import { startTestServer } from "../helpers.js";
import { descriptor } from "../packages/kit.js";
import { runCli } from "./_run.js";

t.setTimeout(240_000);

t.test("package publish: the descriptor reaches the server; refusals exit 1 with the code", async (t) => {
  const s = await startTestServer(t);
  const operator = await s.loginAs("operator");
  const tok = await createApiToken(s.app, { type: "SYSTEM", id: null }, operator.userId!, { name: "ci" });
  const dir = mkdtempSync(join(tmpdir(), "capstan-pkg-"));
  const file = join(dir, "capsule.json");
  writeFileSync(file, JSON.stringify(descriptor()));
  const env = { CAPSTAN_URL: s.url, CAPSTAN_API_TOKEN: tok.rawToken };

  const ok = await runCli(["package", "publish", file], { env });
  t.equal(ok.status, 0, ok.stderr);
  t.match(JSON.parse(ok.stdout), { name: "acme/invoice-ocr", version: "1.4.2", status: "PENDING_APPROVAL", approvalId: /^apr_/ });
  t.match(ok.stderr, /an owner approves it/);
  t.notMatch(ok.stdout + ok.stderr, tok.rawToken, "the token is never printed");

  const again = await runCli(["package", "publish", file], { env });
  t.equal(again.status, 1);
  t.match(again.stderr, /409 PACKAGE_VERSION_EXISTS/);
  writeFileSync(file, JSON.stringify(descriptor({ version: "2.0.0" })));
  const mismatch = await runCli(["package", "publish", file, "--digest", `sha256:${"0".repeat(64)}`], { env });
  t.equal(mismatch.status, 1);
  t.match(mismatch.stderr, /422 PACKAGE_DIGEST_MISMATCH/);
  writeFileSync(file, "{not json");
  const bad = await runCli(["package", "publish", file], { env });
  t.equal(bad.status, 1);
  t.match(bad.stderr, /not JSON/);
  t.equal((await runCli(["package", "publish", file], { env: { CAPSTAN_URL: s.url } })).status, 2, "no token: usage error");
  t.equal((await runCli(["package", "publish"], { env })).status, 2, "no file: usage error");
  t.equal((await runCli(["package", "publish", file, "--token", "x"], { env })).status, 2, "no --token option: tokens never go in argv");
  const versions = (await operator.get("/api/admin/packages/acme%2Finvoice-ocr")).body.data.versions as { version: string }[];
  t.same(versions.map((v) => v.version), ["1.4.2"], "only the accepted publish is stored");
});

t.test("registry rotate-key: a new key, the old one still listed", async (t) => {
  const s = await startTestServer(t);
  const viewer = await s.loginAs("viewer");
  const before = JSON.parse((await viewer.get("/registry/v1/keys")).text).keys as { keyid: string }[];
  const run = await runCli(["registry", "rotate-key", "--data-dir", s.config.dataDir, "--reason", "drill"]);
  t.equal(run.status, 0, run.stderr);
  const keyid = run.stdout.trim();
  t.match(keyid, /^rk_[0-9a-f]{16}$/);
  const after = JSON.parse((await viewer.get("/registry/v1/keys")).text).keys as { keyid: string; retired: string | null }[];
  t.same(after.map((k) => k.keyid), [keyid, before[0]!.keyid]);
  t.ok(after[1]!.retired, "the old key is retired, still listed");
  const audit = await s.db.get<{ message: string }>("SELECT message FROM audit_events WHERE action = 'registry.key.rotated'");
  t.equal(audit?.message, "drill");
  t.equal((await runCli(["registry", "frob"])).status, 2);
});
