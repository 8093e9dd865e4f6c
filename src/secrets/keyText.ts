// The one parser for a secret key written as text (CAPSTAN_SECRET_KEY, the key file): 32 bytes as
// 64 hex characters or as base64 (standard or URL-safe, padding optional). Messages never echo the value.
import { SECRET_KEY_BYTES } from "./secretBox.js";

const HEX = /^[0-9a-fA-F]+$/;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;
const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;

export type KeyTextResult = { ok: true; key: Buffer } | { ok: false; message: string };

export function parseKeyText(text: string): KeyTextResult {
  const s = text.trim();
  const wanted = `must be ${SECRET_KEY_BYTES} bytes written as ${SECRET_KEY_BYTES * 2} hex characters or as base64 (e.g. \`openssl rand -hex 32\`)`;
  if (s.length === SECRET_KEY_BYTES * 2 && HEX.test(s)) return { ok: true, key: Buffer.from(s, "hex") };
  const urlSafe = !B64.test(s) && B64URL.test(s);
  if (B64.test(s) || urlSafe) {
    const key = Buffer.from(s, urlSafe ? "base64url" : "base64");
    // canonical only: the decoder ignores trailing bits, so re-encode and compare
    const again = key.toString(urlSafe ? "base64url" : "base64").replace(/=+$/, "");
    if (key.length === SECRET_KEY_BYTES && again === s.replace(/=+$/, "")) return { ok: true, key };
    if (key.length !== SECRET_KEY_BYTES) return { ok: false, message: `${wanted}; got ${s.length} characters that decode to ${key.length} bytes` };
  }
  return { ok: false, message: `${wanted}; got ${s.length} characters that are neither` };
}
