// The package descriptor schema (catalog.md): strict, bounded, SemVer 2 versions, scoped names.
import t from "tap";
import { PackageDescriptor, README_MAX_BYTES } from "../../src/schemas/packageDescriptor.js";

const ok = { name: "acme/invoice-ocr", version: "1.4.2" };
const valid = (d: unknown) => PackageDescriptor.safeParse(d).success;

t.test("a full descriptor parses; minimal too", async (t) => {
  t.ok(valid(ok));
  t.ok(valid({
    ...ok, description: "d", license: "Apache-2.0", homepage: "https://example.com", readme: "# hi", runtime: "nodejs", tags: ["ocr", "documents"],
    capabilities: [{ name: "invoice.read", label: "Read" }], actions: [{ name: "reprocess", label: "R", dangerLevel: "MEDIUM" }],
    configs: [{ key: "OCR_ENDPOINT", type: "string", sensitive: false }], events: [{ name: "invoice.parsed", direction: "publish" }],
    compatibility: { capstan: ">=0.2.0 <1.0.0", sdk: ">=0.2.0", contract: "1" },
    artifact: { kind: "npm", ref: "@acme/invoice-ocr@1.4.2", digest: `sha256:${"ab".repeat(32)}` }, deprecated: null, prerelease: false,
  }));
});

t.test("versions must be SemVer 2", async (t) => {
  for (const v of ["1.0.0", "0.0.1-alpha.1", "2.0.0-rc.1+build.5", "10.20.30"]) t.ok(valid({ ...ok, version: v }), v);
  for (const v of ["1.0", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0-01", "latest", ""]) t.notOk(valid({ ...ok, version: v }), v);
});

t.test("names: lowercase scope/name", async (t) => {
  for (const n of ["acme/ocr", "ocr", "a.b/c_d-e"]) t.ok(valid({ ...ok, name: n }), n);
  for (const n of ["Acme/ocr", "acme/", "/ocr", "a/b/c", "acme ocr", "x".repeat(101), "-acme/x"]) t.notOk(valid({ ...ok, name: n }), n);
});

t.test("strict and capped", async (t) => {
  t.notOk(valid({ ...ok, verison: "1.0.0" }), "an unknown key is refused");
  t.notOk(valid({ ...ok, actions: [{ name: "a", danger: "HIGH" }] }), "an unknown nested key is refused");
  t.ok(valid({ ...ok, readme: "x".repeat(README_MAX_BYTES) }), "64 KiB readme");
  t.notOk(valid({ ...ok, readme: "é".repeat(README_MAX_BYTES / 2 + 1) }), "the readme cap counts UTF-8 bytes");
  t.ok(valid({ ...ok, tags: Array.from({ length: 200 }, (_, i) => `t${i}`) }), "200 tags");
  t.notOk(valid({ ...ok, tags: Array.from({ length: 201 }, (_, i) => `t${i}`) }), "201 tags");
  t.notOk(valid({ ...ok, tags: ["a", "a"] }), "duplicate tags");
  t.notOk(valid({ ...ok, actions: [{ name: "x" }, { name: "x" }] }), "duplicate action names");
  t.notOk(valid({ ...ok, artifact: { kind: "npm", ref: "x", digest: "sha256:XYZ" } }), "a malformed digest");
  t.notOk(valid({ ...ok, homepage: "javascript:alert(1)" }), "homepage is http(s) only");
  t.notOk(valid({ ...ok, description: "d".repeat(2001) }), "description capped");
});
