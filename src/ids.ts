// Identifiers and secrets: '<prefix>_<ULID>' ids, base62 raw tokens, SHA-256 hashes.
import * as cryptoModule from "node:crypto";
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export type IdPrefix =
  | "wks" | "usr" | "agt" | "tok" | "svc" | "hlr" | "cfg" | "act" | "cmd" | "crs" | "aud"
  | "atk" | "ses" | "apt" | "brr" | "bev" | "apr" | "apl"
  | "whe" | "whd" | "mrt" | "msg" | "pkv" | "pki";

let lastTime = 0;
let lastRandom: number[] = [];

// Random bytes for ids come from a pooled buffer of the same CSPRNG: one randomBytes call per 256 ids
// instead of one per id (every request id is a ULID; the call showed up in heartbeat profiles).
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;
function pooledRandom16(): Buffer {
  if (poolAt + 16 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  poolAt += 16;
  return pool.subarray(poolAt - 16, poolAt);
}

/** A ULID: 48-bit ms time + 80 random bits, monotonic within one millisecond so ids sort by creation. */
export function ulid(nowMs: number = Date.now()): string {
  let rand: number[];
  if (nowMs <= lastTime && lastRandom.length) {
    rand = lastRandom.slice();
    for (let i = rand.length - 1; i >= 0; i--) {
      if (rand[i]! < 31) { rand[i]!++; break; }
      rand[i] = 0;
    }
    nowMs = lastTime;
  } else {
    const bytes = pooledRandom16();
    rand = Array.from({ length: 16 }, (_, i) => bytes[i]! & 31);
  }
  lastTime = nowMs;
  lastRandom = rand;
  let time = "";
  let t = nowMs;
  for (let i = 0; i < 10; i++) { time = CROCKFORD[t % 32] + time; t = Math.floor(t / 32); }
  return time + rand.map((n) => CROCKFORD[n]).join("");
}

export const newId = (prefix: IdPrefix, nowMs?: number): string => `${prefix}_${ulid(nowMs)}`;

/** The 256-bit number in base 62, left-padded to a fixed 43 characters (no modulo bias). */
function base62(bytes: Buffer): string {
  let n = BigInt("0x" + bytes.toString("hex"));
  let out = "";
  while (n > 0n) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(43, "0");
}

export type SecretKind = "opstage_reg_" | "opstage_agent_" | "capstan_pat_" | "";
/** A raw secret: prefix + base62 of 32 random bytes. Shown once, stored only as sha256Hex(). */
export const newSecret = (prefix: SecretKind): string => prefix + base62(randomBytes(32));

export const sha256Hex = (value: string): string => digestOf("sha256", value, "hex");

/**
 * A one-shot digest: crypto.hash (Node >= 20.12) skips the Hash object createHash builds, which showed in
 * a heartbeat's profile (token hash, health fingerprint); older Node 20 falls back to createHash.
 */
export const digestOf: (algorithm: "sha1" | "sha256", value: string, encoding: "hex" | "base64url") => string =
  typeof (cryptoModule as { hash?: unknown }).hash === "function"
    ? (algorithm, value, encoding) => (cryptoModule as unknown as { hash: (a: string, v: string, e: string) => string }).hash(algorithm, value, encoding)
    : (algorithm, value, encoding) => createHash(algorithm).update(value).digest(encoding);

export const hmacHex = (key: string, value: string): string => createHmac("sha256", key).update(value).digest("hex");

/** Constant-time string comparison (for CSRF tokens and similar). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
