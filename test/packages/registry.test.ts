// The signed registry (issue #17 point 3): /registry/v1/index.json, /packages/{name} (%2F and
// unencoded), /keys; ETag + 304; any session or API token, anonymous only with
// CAPSTAN_REGISTRY_PUBLIC=true. Every signature verifies with only the published key and
// node:crypto; a tampered record fails. Keys rotate (old ones stay listed until they expire) and
// the private key is never in a response, a log or the database in the clear.
import { createPublicKey, verify } from "node:crypto";
import t from "tap";
import { rotateRegistryKey } from "../../src/domain/packages/signing.js";
import { databaseText } from "../testDb.js";
import { descriptor, packageKit } from "./kit.js";
import type { Client } from "../helpers.js";

t.setTimeout(240_000);

interface Key { keyid: string; algorithm: string; key: string; expires: string }
interface Rec { name: string; version: string; digest: string; yanked: boolean; signatures: { keyid: string; sig: string }[] }

/** Verifies one record's signatures with the published keys only: "{name}@{version}:{digest}", ed25519, base64. */
function verifies(rec: Rec, keys: Key[]): boolean[] {
  return rec.signatures.map((s) => {
    const k = keys.find((x) => x.keyid === s.keyid);
    if (!k || k.algorithm !== "ed25519") return false;
    return verify(null, Buffer.from(`${rec.name}@${rec.version}:${rec.digest}`, "utf8"), createPublicKey(k.key), Buffer.from(s.sig, "base64"));
  });
}

const json = async (c: Client, path: string) => {
  const r = await c.get(path);
  return { status: r.status, body: JSON.parse(r.text), etag: r.headers.get("etag") };
};

t.test("every version record verifies with the published key; a tampered one fails", async (t) => {
  const k = await packageKit(t);
  await k.publishApproved(descriptor());
  await k.publishApproved(descriptor({ version: "1.10.0", artifact: { kind: "oci", ref: "ghcr.io/acme/ocr:1.10.0", digest: `sha256:${"1f".repeat(32)}` } }));
  await k.operator.post("/api/admin/packages", descriptor({ version: "2.0.0" })); // pending: not in the registry
  await k.publishApproved(descriptor({ name: "tools", version: "0.1.0" }));

  const keys = (await json(k.viewer, "/registry/v1/keys")).body.keys as Key[];
  t.equal(keys.length, 1);
  t.match(keys[0], { keyid: /^rk_[0-9a-f]{16}$/, algorithm: "ed25519", key: /^-----BEGIN PUBLIC KEY-----/ });

  const index = await json(k.viewer, "/registry/v1/index.json");
  t.same(index.body.packages.map((p: { name: string; latest: string }) => [p.name, p.latest]), [["acme/invoice-ocr", "1.10.0"], ["tools", "0.1.0"]],
    "approved packages only; latest by SemVer (1.10.0 > 1.4.2)");
  const pkg = await json(k.viewer, "/registry/v1/packages/acme%2Finvoice-ocr");
  t.equal(pkg.status, 200);
  const recs = pkg.body.versions as Rec[];
  t.same(recs.map((r) => r.version), ["1.10.0", "1.4.2"], "approved versions, newest first; the pending 2.0.0 is not listed");
  t.equal(recs[0]!.digest, `sha256:${"1f".repeat(32)}`, "the artifact's digest is the signed digest");
  for (const r of recs) t.same(verifies(r, keys), [true], `${r.name}@${r.version} verifies`);
  t.same(verifies({ ...recs[1]!, digest: recs[0]!.digest }, keys), [false], "a record with another digest fails");
  t.same(verifies({ ...recs[1]!, version: "1.4.3" }, keys), [false], "a record with another version fails");
  const sig = Buffer.from(recs[1]!.signatures[0]!.sig, "base64");
  sig[0] ^= 1;
  t.same(verifies({ ...recs[1]!, signatures: [{ ...recs[1]!.signatures[0]!, sig: sig.toString("base64") }] }, keys), [false], "a flipped signature bit fails");
  t.same((await json(k.viewer, "/registry/v1/packages/acme/invoice-ocr")).body, pkg.body, "the unencoded name answers the same");
  const missing = await k.viewer.get("/registry/v1/packages/acme%2Fnope");
  t.equal(missing.status, 404);
  t.equal(missing.body.error.code, "PACKAGE_NOT_FOUND", "errors keep the envelope");

  const all = JSON.stringify([pkg.body, index.body, keys]) + k.s.logs.join("\n");
  t.notMatch(all, /PRIVATE KEY/, "no private key in a response or the log");
  t.notMatch(databaseText(k.s), /BEGIN PRIVATE KEY|MC4CAQAwBQYDK2Vw/, "the private key is sealed at rest (no PEM, no base64 PKCS8 prefix)");
});

t.test("ETag and If-None-Match; read access", async (t) => {
  const k = await packageKit(t);
  await k.publishApproved(descriptor());
  for (const path of ["/registry/v1/index.json", "/registry/v1/keys", "/registry/v1/packages/acme%2Finvoice-ocr"]) {
    const first = await k.viewer.get(path);
    const etag = first.headers.get("etag")!;
    t.match(etag, /^"[A-Za-z0-9_-]+"$/, `${path}: strong ETag`);
    const again = await k.viewer.req("GET", path, undefined, { "if-none-match": etag });
    t.equal(again.status, 304, `${path}: 304 on a match`);
    t.equal(again.text, "", "no body");
    t.equal((await k.viewer.req("GET", path, undefined, { "if-none-match": `W/"x", ${etag}` })).status, 304, "a list with a weak form matches too");
    t.equal((await k.viewer.req("GET", path, undefined, { "if-none-match": '"other"' })).status, 200);
  }
  const before = (await k.viewer.get("/registry/v1/index.json")).headers.get("etag");
  await k.owner.post("/api/admin/packages/acme%2Finvoice-ocr/versions/1.4.2/deprecate", { message: "use 2.x" });
  const after = await json(k.viewer, "/registry/v1/index.json");
  t.not(after.etag, before, "a change changes the ETag");
  t.equal(after.body.packages[0].deprecated, "use 2.x");
  t.equal((await k.s.anon.get("/registry/v1/index.json")).status, 401, "anonymous callers need CAPSTAN_REGISTRY_PUBLIC");
});

t.test("CAPSTAN_REGISTRY_PUBLIC=true opens it to anyone", async (t) => {
  const k = await packageKit(t, { CAPSTAN_REGISTRY_PUBLIC: "true" });
  await k.publishApproved(descriptor());
  const res = await k.s.anon.get("/registry/v1/packages/acme%2Finvoice-ocr");
  t.equal(res.status, 200);
  t.equal(res.headers.get("cache-control"), "public, no-cache");
});

t.test("rotation: a new key signs everything, the old one stays listed until it expires", async (t) => {
  let now = Date.now();
  const day = 86_400_000;
  const env = { CAPSTAN_REGISTRY_KEY_DAYS: "1", CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "0", CAPSTAN_SESSION_TTL_SECONDS: "2592000", CAPSTAN_APPROVAL_TTL_SECONDS: "604800" };
  const k = await packageKit(t, env, () => new Date(now));
  await k.publishApproved(descriptor());
  const first = (await json(k.viewer, "/registry/v1/keys")).body.keys as Key[];
  now += 1000; // a rotation comes later than the first key (the same frozen instant left their order to the engine: PostgreSQL swapped them once)
  const manual = await rotateRegistryKey(k.s.app, { type: "SYSTEM", id: null }, "test rotation");
  t.equal(manual.signed, 1, "the approved version is signed with the new key");
  let keys = (await json(k.viewer, "/registry/v1/keys")).body.keys as Key[];
  t.same(keys.map((x) => x.keyid), [manual.keyid, first[0]!.keyid], "new key first, the old one still listed");
  let rec = (await json(k.viewer, "/registry/v1/packages/acme%2Finvoice-ocr")).body.versions[0] as Rec;
  t.same(verifies(rec, keys), [true, true], "both signatures verify");
  t.same(verifies(rec, keys.slice(0, 1)).filter(Boolean).length, 1, "the new key alone verifies the record");

  now += 0.8 * day; // less than a quarter of the 1-day lifetime left: the sweep rotates
  await k.owner.post("/api/admin/maintenance/run", {});
  keys = (await json(k.viewer, "/registry/v1/keys")).body.keys as Key[];
  t.equal(keys.length, 3, "rotated automatically before expiry; older keys still listed");
  now += 0.3 * day; // the first two keys have expired
  await k.owner.post("/api/admin/maintenance/run", {});
  keys = (await json(k.viewer, "/registry/v1/keys")).body.keys as Key[];
  t.equal(keys.length, 1, "expired keys leave the listing");
  rec = (await json(k.viewer, "/registry/v1/packages/acme%2Finvoice-ocr")).body.versions[0] as Rec;
  t.same(verifies(rec, keys), [true], "the record still verifies with the remaining key (and only its signature is left)");
  const rotations = await k.s.db.all<{ n: number }>("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'registry.key.rotated'");
  t.equal(Number(rotations[0]!.n), 2, "rotations are audited");
});
