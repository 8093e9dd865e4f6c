// The registry's ed25519 signing keys (catalog.md v0.6). A key is created at first start; its
// private half is sealed with the secret box (src/secrets, AAD bound to the key id) and opened only
// to sign, never returned or logged. Rotation creates a new signing key, retires the others (they
// stay listed, with their signatures, until they expire) and signs every approved version with the
// new key, so a client holding either key can verify. Expired keys leave with their signatures.
import { createHash, createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import type { Actor, App } from "../../context.js";
import {
  deleteExpiredRegistryKeys, insertRegistryKey, insertSignature, retireOtherRegistryKeys, signingRegistryKey, versionsUnsignedBy,
  type RegistryKeyRow,
} from "../../db/registryKeys.js";
import { writeAudit } from "../audit.js";
import { signedPayload } from "./digest.js";

const DAY_MS = 86_400_000;
export const REGISTRY_KEY_TARGET = "RegistryKey";
const keyAad = (keyid: string): string => `registry-key:${keyid}`;

/** Rotated automatically once less than this share of its lifetime (at most 30 days) is left. */
const rotateBeforeMs = (app: App): number => Math.min(30 * DAY_MS, (app.config.registryKeyDays * DAY_MS) / 4);

/** A fresh key, stored; the caller's transaction retires the others when it rotates. */
async function createKey(app: App): Promise<RegistryKeyRow> {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const spki = publicKey.export({ type: "spki", format: "der" });
  const keyid = `rk_${createHash("sha256").update(spki).digest("hex").slice(0, 16)}`;
  const now = app.now();
  const row = {
    keyid, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    privateKeySealed: app.secretBox.seal(privateKey.export({ type: "pkcs8", format: "der" }).toString("base64"), keyAad(keyid)),
    createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + app.config.registryKeyDays * DAY_MS).toISOString(),
  };
  await insertRegistryKey(app.db, row);
  return { ...row, algorithm: "ed25519", retiredAt: null };
}

function signWith(app: App, key: RegistryKeyRow, payload: string): string {
  const der = Buffer.from(app.secretBox.open(key.privateKeySealed, keyAad(key.keyid)), "base64");
  return sign(null, Buffer.from(payload, "utf8"), createPrivateKey({ key: der, format: "der", type: "pkcs8" })).toString("base64");
}

/** Signs one approved version with the current key. Call inside the approval's transaction. */
export async function signVersion(app: App, v: { id: string; packageName: string; version: string; digest: string }): Promise<string> {
  const key = await signingRegistryKey(app.db, app.now().toISOString()) ?? await createKey(app);
  await insertSignature(app.db, { versionId: v.id, keyid: key.keyid, sig: signWith(app, key, signedPayload(v.packageName, v.version, v.digest)), createdAt: app.now().toISOString() });
  return key.keyid;
}

/** New signing key; the old ones stop signing but stay listed until they expire. Audited. */
export async function rotateRegistryKey(app: App, actor: Actor, reason: string, requestId?: string): Promise<{ keyid: string; signed: number; retired: number }> {
  return app.db.transaction(async () => {
    const key = await createKey(app);
    const retired = await retireOtherRegistryKeys(app.db, key.keyid, app.now().toISOString());
    let signed = 0;
    for (const v of await versionsUnsignedBy(app.db, key.keyid)) {
      await insertSignature(app.db, { versionId: v.id, keyid: key.keyid, sig: signWith(app, key, signedPayload(v.packageName, v.version, v.digest)), createdAt: app.now().toISOString() });
      signed++;
    }
    await writeAudit(app, {
      actor, action: "registry.key.rotated", target: { type: REGISTRY_KEY_TARGET, id: key.keyid }, requestId, message: reason,
      metadata: { expiresAt: key.expiresAt, retiredKeys: retired, signedVersions: signed },
    });
    return { keyid: key.keyid, signed, retired };
  });
}

/**
 * At start and in the maintenance sweep: a signing key exists and is not about to expire (else one is
 * created or rotated in), and expired keys are deleted. Returns how many rows it changed.
 */
export async function maintainRegistryKeys(app: App): Promise<number> {
  const system: Actor = { type: "SYSTEM", id: null };
  const now = app.now();
  const current = await signingRegistryKey(app.db, now.toISOString());
  let changed = 0;
  if (!current) {
    // the first key at first start: logged, not audited (no one did anything; rotations are audited)
    const key = await app.db.transaction(() => createKey(app));
    app.log.info("registry signing key created", { keyid: key.keyid, expiresAt: key.expiresAt });
    changed++;
  } else if (Date.parse(current.expiresAt) - now.getTime() < rotateBeforeMs(app)) {
    await rotateRegistryKey(app, system, `signing key ${current.keyid} expires at ${current.expiresAt}`);
    changed++;
  }
  return changed + await deleteExpiredRegistryKeys(app.db, now.toISOString());
}
