// registry_keys + package_signatures: the registry's ed25519 keys (private key sealed, src/secrets) and
// the stored signatures over approved versions. A key signs while it is not retired; it stays listed
// (and its signatures served) until it expires, then it is deleted with its signatures (cascade).
import type { Db } from "./open.js";

export interface RegistryKeyRow {
  keyid: string;
  algorithm: "ed25519";
  publicKeyPem: string;
  /** Sealed PKCS8 DER; opened only to sign. */
  privateKeySealed: string;
  createdAt: string;
  expiresAt: string;
  retiredAt: string | null;
}

export interface SignatureRow {
  versionId: string;
  keyid: string;
  sig: string;
  createdAt: string;
}

const KEY = "keyid, algorithm, public_key_pem, private_key_sealed, created_at, expires_at, retired_at";

const sql = {
  // a new key (never retired yet)
  insertKey: `INSERT INTO registry_keys (${KEY}) VALUES (?, 'ed25519', ?, ?, ?, ?, NULL)`,
  // keys still listed: not expired, newest first
  listed: `SELECT ${KEY} FROM registry_keys WHERE expires_at > ? ORDER BY created_at DESC, keyid DESC`,
  // the signing key: the newest neither retired nor expired
  signing: `SELECT ${KEY} FROM registry_keys WHERE retired_at IS NULL AND expires_at > ? ORDER BY created_at DESC, keyid DESC LIMIT 1`,
  // rotation: every other key stops signing (it stays listed until it expires)
  retireOthers: `UPDATE registry_keys SET retired_at = ? WHERE keyid <> ? AND retired_at IS NULL`,
  // expired keys leave the listing; their signatures go with them (cascade)
  deleteExpired: `DELETE FROM registry_keys WHERE expires_at <= ?`,
  // one signature (a version signed twice by one key keeps the first; ed25519 is deterministic anyway)
  insertSig: `INSERT INTO package_signatures (version_id, keyid, sig, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (version_id, keyid) DO NOTHING`,
  // the signatures of one package's versions
  sigsOfPackage: `SELECT s.version_id, s.keyid, s.sig, s.created_at FROM package_signatures s
    JOIN package_versions v ON v.id = s.version_id WHERE v.package_name = ? ORDER BY s.created_at, s.keyid`,
  // approved versions a key has not signed yet (after a rotation)
  unsigned: `SELECT v.id, v.package_name, v.version, v.digest FROM package_versions v WHERE v.status = 'APPROVED'
    AND NOT EXISTS (SELECT 1 FROM package_signatures s WHERE s.version_id = v.id AND s.keyid = ?) ORDER BY v.created_at, v.id`,
};

type RawKey = {
  keyid: string; algorithm: "ed25519"; public_key_pem: string; private_key_sealed: string; created_at: string; expires_at: string; retired_at: string | null;
};
type RawSig = { version_id: string; keyid: string; sig: string; created_at: string };

const toKey = (r: RawKey): RegistryKeyRow => ({
  keyid: r.keyid, algorithm: r.algorithm, publicKeyPem: r.public_key_pem, privateKeySealed: r.private_key_sealed,
  createdAt: r.created_at, expiresAt: r.expires_at, retiredAt: r.retired_at,
});

export async function insertRegistryKey(db: Db, k: Omit<RegistryKeyRow, "algorithm" | "retiredAt">): Promise<void> {
  await db.run(sql.insertKey, [k.keyid, k.publicKeyPem, k.privateKeySealed, k.createdAt, k.expiresAt]);
}

export const listedRegistryKeys = async (db: Db, nowIso: string): Promise<RegistryKeyRow[]> =>
  (await db.all<RawKey>(sql.listed, [nowIso])).map(toKey);

export const signingRegistryKey = async (db: Db, nowIso: string): Promise<RegistryKeyRow | undefined> => {
  const r = await db.get<RawKey>(sql.signing, [nowIso]);
  return r && toKey(r);
};

export async function retireOtherRegistryKeys(db: Db, keepKeyid: string, nowIso: string): Promise<number> {
  return (await db.run(sql.retireOthers, [nowIso, keepKeyid])).changes;
}

export async function deleteExpiredRegistryKeys(db: Db, nowIso: string): Promise<number> {
  return (await db.run(sql.deleteExpired, [nowIso])).changes;
}

export async function insertSignature(db: Db, s: SignatureRow): Promise<void> {
  await db.run(sql.insertSig, [s.versionId, s.keyid, s.sig, s.createdAt]);
}

export const signaturesOfPackage = async (db: Db, name: string): Promise<SignatureRow[]> =>
  (await db.all<RawSig>(sql.sigsOfPackage, [name])).map((r) => ({ versionId: r.version_id, keyid: r.keyid, sig: r.sig, createdAt: r.created_at }));

export const versionsUnsignedBy = async (db: Db, keyid: string): Promise<{ id: string; packageName: string; version: string; digest: string }[]> =>
  (await db.all<{ id: string; package_name: string; version: string; digest: string }>(sql.unsigned, [keyid]))
    .map((r) => ({ id: r.id, packageName: r.package_name, version: r.version, digest: r.digest }));
