// The package tables of migration 014 on the engine under test: rows round-trip as camelCase (the
// yanked flag as a boolean), a duplicate version is refused by the unique key, a decision is
// guarded by the status the caller saw, and the catalog search reads names, tags and capabilities.
import t from "tap";
import {
  decidePackageVersion, findPackageVersion, getPackage, insertPackage, insertPackageVersion, listPackages, packageVersions,
  setVersionYanked, updatePackageSummary,
} from "../../src/db/packages.js";
import { insertPackageInstall, getPackageInstall, decidePackageInstall } from "../../src/db/packageInstalls.js";
import {
  deleteExpiredRegistryKeys, insertRegistryKey, insertSignature, listedRegistryKeys, retireOtherRegistryKeys, signaturesOfPackage,
  signingRegistryKey, versionsUnsignedBy,
} from "../../src/db/registryKeys.js";
import { openTestDb, UNIQUE_VIOLATION } from "../testDb.js";

const AT = "2026-12-01T03:00:00.000Z";
const LATER = "2026-12-01T04:00:00.000Z";

t.test("packages and versions round-trip; duplicates and second decisions are refused", async (t) => {
  const db = await openTestDb(t);
  await insertPackage(db, { name: "acme/ocr", description: "OCR", runtime: "nodejs", tags: ["ocr"], capabilities: ["invoice.read"], createdByUserId: null, createdAt: AT });
  await insertPackage(db, { name: "acme/ocr", description: "again", runtime: "python", tags: [], capabilities: [], createdByUserId: null, createdAt: LATER });
  t.equal((await getPackage(db, "acme/ocr"))!.description, "OCR", "a second insert of a package name keeps the first row");
  const v = { id: "pkv_1", packageName: "acme/ocr", version: "1.0.0", descriptor: {}, digest: `sha256:${"a".repeat(64)}`, digestSource: "artifact" as const,
    publisherUserId: null, publisher: "ann", createdAt: AT };
  await insertPackageVersion(db, v, '{"name":"acme/ocr","version":"1.0.0"}');
  await t.rejects(() => insertPackageVersion(db, { ...v, id: "pkv_2" }, "{}"), { code: UNIQUE_VIOLATION }, "one row per name and version");
  const row = (await findPackageVersion(db, "acme/ocr", "1.0.0"))!;
  t.match(row, { id: "pkv_1", status: "PENDING_APPROVAL", yanked: false, deprecated: null, descriptor: { name: "acme/ocr", version: "1.0.0" } });
  t.equal(await decidePackageVersion(db, "pkv_1", "APPROVED", null, LATER), true);
  t.equal(await decidePackageVersion(db, "pkv_1", "REJECTED", "late", LATER), false, "a decided version is not decided again");
  await setVersionYanked(db, "pkv_1", true, "broken", LATER);
  t.match((await packageVersions(db, "acme/ocr"))[0], { status: "APPROVED", yanked: true, yankedReason: "broken", decidedAt: LATER });
  await updatePackageSummary(db, "acme/ocr", { description: "OCR 2", runtime: "nodejs", tags: ["ocr", "documents"], capabilities: ["invoice.read"], latestVersion: "1.0.0", updatedAt: LATER });
  await insertPackage(db, { name: "beta/tool", description: null, runtime: "python", tags: [], capabilities: [], createdByUserId: null, createdAt: AT });
  const names = async (q?: string, runtime?: string[]) => (await listPackages(db, { q, runtime }, [], 1, 50)).rows.map((p) => p.name);
  t.same(await names("DOCUMENTS"), ["acme/ocr"], "search reads tags (case-insensitively)");
  t.same(await names("invoice.read"), ["acme/ocr"], "search reads capability names");
  t.same(await names(undefined, ["python"]), ["beta/tool"], "runtime filter");
  t.same(await names("%"), [], "% is literal");
});

t.test("registry keys: signing key, rotation, expiry drops the key and its signatures", async (t) => {
  const db = await openTestDb(t);
  await insertPackage(db, { name: "acme/ocr", description: null, runtime: null, tags: [], capabilities: [], createdByUserId: null, createdAt: AT });
  await insertPackageVersion(db, { id: "pkv_1", packageName: "acme/ocr", version: "1.0.0", descriptor: {}, digest: "sha256:x", digestSource: "descriptor",
    publisherUserId: null, publisher: "ann", createdAt: AT }, "{}");
  await decidePackageVersion(db, "pkv_1", "APPROVED", null, AT);
  await insertRegistryKey(db, { keyid: "rk_old", publicKeyPem: "PEM1", privateKeySealed: "sealed1", createdAt: AT, expiresAt: "2026-12-02T00:00:00.000Z" });
  await insertSignature(db, { versionId: "pkv_1", keyid: "rk_old", sig: "c2ln", createdAt: AT });
  await insertRegistryKey(db, { keyid: "rk_new", publicKeyPem: "PEM2", privateKeySealed: "sealed2", createdAt: LATER, expiresAt: "2027-12-01T00:00:00.000Z" });
  t.equal(await retireOtherRegistryKeys(db, "rk_new", LATER), 1);
  t.equal((await signingRegistryKey(db, LATER))!.keyid, "rk_new");
  t.same((await versionsUnsignedBy(db, "rk_new")).map((v) => v.id), ["pkv_1"], "the new key has not signed the version yet");
  t.same((await listedRegistryKeys(db, LATER)).map((k) => k.keyid), ["rk_new", "rk_old"], "the retired key stays listed");
  t.equal(await deleteExpiredRegistryKeys(db, "2026-12-03T00:00:00.000Z"), 1);
  t.same(await signaturesOfPackage(db, "acme/ocr"), [], "the expired key's signatures went with it");
});

t.test("install approvals: for one agent or all agents, decided once", async (t) => {
  const db = await openTestDb(t);
  await insertPackageInstall(db, { id: "pki_1", packageName: "acme/ocr", version: "1.0.0", digest: null, agentId: null, requestedByUserId: null, createdAt: AT });
  t.match(await getPackageInstall(db, "pki_1"), { status: "PENDING_APPROVAL", agentId: null, digest: null });
  t.equal(await decidePackageInstall(db, "pki_1", "APPROVED", null, LATER), true);
  t.equal(await decidePackageInstall(db, "pki_1", "REJECTED", "no", LATER), false);
});
