// Authenticated encryption for the one-time secrets that must survive a node (secret payload fields,
// generatedKey): AES-256-GCM, a fresh random 96-bit IV per message, and a compact versioned envelope
//   v1.<keyId>.<iv b64url>.<tag b64url>.<ciphertext b64url>
// The AAD binds each ciphertext to its purpose and owner (commandAad) and to the envelope's own
// header, so a ciphertext copied to another row, or a header edited, fails to open instead of
// decrypting. The key id (first 8 hex of SHA-256(key)) says "wrong key" rather than "tampered".
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, type KeyObject } from "node:crypto";

export const SECRET_KEY_BYTES = 32;
const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;

export type SecretBoxFailure = "malformed" | "unsupported-version" | "wrong-key" | "tampered";

/** Why an envelope did not open. Never carries plaintext or key material. */
export class SecretBoxError extends Error {
  constructor(
    readonly reason: SecretBoxFailure,
    message: string,
  ) {
    super(message);
    this.name = "SecretBoxError";
  }
}

/** First 8 hex characters of SHA-256(key): names a key in messages without revealing it. */
export const keyIdOf = (key: Buffer): string => createHash("sha256").update(key).digest("hex").slice(0, 8);

/** The AAD for a command's secret material: `command:<id>:secrets` or `command:<id>:generatedKey`. */
export const commandAad = (commandId: string, kind: "secrets" | "generatedKey"): string => `command:${commandId}:${kind}`;

// Strict: Node's decoder skips stray characters and ignores trailing bits, so "decodes" is not "unchanged".
function b64urlDecode(part: string, what: string): Buffer {
  const bytes = B64URL.test(part) ? Buffer.from(part, "base64url") : undefined;
  if (!bytes || bytes.toString("base64url") !== part) throw new SecretBoxError("malformed", `secret envelope: ${what} is not canonical base64url`);
  return bytes;
}

export class SecretBox {
  /** Key id of the key this box seals with and opens. */
  readonly keyId: string;
  // a KeyObject in a private field: util.inspect / JSON.stringify of the box never show the key
  readonly #key: KeyObject;

  constructor(key: Buffer) {
    if (key.length !== SECRET_KEY_BYTES) throw new RangeError(`secret key must be ${SECRET_KEY_BYTES} bytes, got ${key.length}`);
    this.keyId = keyIdOf(key);
    this.#key = createSecretKey(Buffer.from(key));
  }

  seal(plaintext: string, aad: string): string {
    const header = `${VERSION}.${this.keyId}`;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(boundAad(header, aad));
    const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return `${header}.${iv.toString("base64url")}.${cipher.getAuthTag().toString("base64url")}.${ct.toString("base64url")}`;
  }

  /** The plaintext, or SecretBoxError when the envelope is malformed, for another key or another AAD, or altered. */
  open(envelope: string, aad: string): string {
    const parts = typeof envelope === "string" ? envelope.split(".") : [];
    if (parts.length !== 5) throw new SecretBoxError("malformed", "secret envelope: expected 5 dot-separated parts");
    const [version, keyId, ivPart, tagPart, ctPart] = parts as [string, string, string, string, string];
    if (version !== VERSION) throw new SecretBoxError("unsupported-version", `secret envelope: unsupported version "${version.slice(0, 8)}"`);
    if (!/^[0-9a-f]{8}$/.test(keyId)) throw new SecretBoxError("malformed", "secret envelope: bad key id");
    if (keyId !== this.keyId) {
      throw new SecretBoxError("wrong-key", `secret envelope was sealed with key ${keyId}, but the configured key is ${this.keyId}`);
    }
    const iv = b64urlDecode(ivPart, "iv");
    const tag = b64urlDecode(tagPart, "tag");
    const ct = b64urlDecode(ctPart, "ciphertext");
    // a short tag would be accepted by GCM as a weaker tag: insist on the full 128 bits
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretBoxError("malformed", "secret envelope: bad iv or tag length");
    const decipher = createDecipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(boundAad(`${version}.${keyId}`, aad));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString("utf8");
    } catch {
      throw new SecretBoxError("tampered", "secret envelope failed authentication: altered, or sealed for another purpose or owner");
    }
  }
}

// Length-prefixed so ("v1.k", "x") and ("v1", ".kx") can never produce the same bytes.
function boundAad(header: string, aad: string): Buffer {
  if (typeof aad !== "string" || aad === "") throw new TypeError("secret box: aad must be a non-empty string");
  return Buffer.from(`${header.length}:${header}|${aad}`, "utf8");
}
