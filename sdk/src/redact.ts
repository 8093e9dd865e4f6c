// Redaction of everything the SDK logs. This module is also the single source of the rules for the
// server (src/domain/redact.ts imports it; the SDK never imports server code). Keys are compared as whole words, so "apiKey" and
// "access_token" are redacted but "maxTokens" is not; values that look like Capstan secrets are
// redacted whatever their key, and the live tokens this agent holds are scrubbed literally.
export const REDACTED = "[REDACTED]";

const SECRET_WORDS = new Set([
  "password", "passwords", "passwd", "secret", "secrets", "token", "authorization", "cookie", "cookies",
  "credential", "credentials", "apikey", "privatekey", "passphrase",
]);
const SECRET_PAIRS = new Set(["api key", "private key", "set cookie"]);
const SECRET_VALUE = /\b(opstage_reg_|opstage_agent_|capstan_pat_)[0-9A-Za-z]{8,}/g;
const BEARER_VALUE = /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/g;

export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    if (SECRET_WORDS.has(words[i]!)) return true;
    if (i + 1 < words.length && SECRET_PAIRS.has(`${words[i]} ${words[i + 1]}`)) return true;
  }
  return false;
}

/** Scrubs secret-looking substrings and the given literal secrets from a string. */
export function scrubString(value: string, secrets: readonly string[] = []): string {
  let out = value;
  for (const s of secrets) if (s.length >= 8 && out.includes(s)) out = out.split(s).join(REDACTED);
  return out.replace(SECRET_VALUE, (_m, prefix: string) => prefix + REDACTED).replace(BEARER_VALUE, `Bearer ${REDACTED}`);
}

/**
 * Deep copy with secret keys replaced (empty values left as they are: nothing to hide) and strings
 * scrubbed; anything nested deeper than `maxDepth` becomes REDACTED. The SDK's logger uses the default
 * depth; the server (src/domain/redact.ts) passes its own, deeper one.
 */
export function redact(value: unknown, secrets: readonly string[] = [], maxDepth = 16, depth = 0): unknown {
  if (depth > maxDepth) return REDACTED;
  if (typeof value === "string") return scrubString(value, secrets);
  if (value instanceof Error) return scrubString(value.message, secrets);
  if (Array.isArray(value)) return value.map((v) => redact(v, secrets, maxDepth, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretKey(k) && v !== null && v !== undefined && v !== "" ? REDACTED : redact(v, secrets, maxDepth, depth + 1);
    }
    return out;
  }
  return value;
}

/**
 * Scrubs only the literal tokens from a value that is sent to the server (results, progress, events):
 * key-based redaction would destroy legitimate data such as a one-time generatedKey, which the
 * server itself takes care of.
 */
export function scrubSecrets<T>(value: T, secrets: readonly string[], depth = 0): T {
  if (secrets.length === 0 || depth > 64) return value;
  if (typeof value === "string") {
    let out: string = value;
    for (const s of secrets) if (s.length >= 8 && out.includes(s)) out = out.split(s).join(REDACTED);
    return out as T;
  }
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, secrets, depth + 1)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrubSecrets(v, secrets, depth + 1);
    return out as T;
  }
  return value;
}
