// Redaction, in one place. Keys are split into words (camelCase, snake_case, kebab-case) and
// compared whole, so "accessToken" and "api_key" are redacted but "maxTokens" is not. Values that
// look like our raw secrets are redacted whatever their key.
export const REDACTED = "[REDACTED]";

const SECRET_WORDS = new Set([
  "password", "passwords", "passwd", "secret", "secrets", "token", "authorization", "cookie", "cookies",
  "credential", "credentials", "apikey", "privatekey", "passphrase",
]);
const SECRET_PAIRS = new Set(["api key", "private key", "set cookie"]);
const SECRET_VALUE = /\b(opstage_reg_|opstage_agent_|capstan_pat_)[0-9A-Za-z]{8,}/g;
const BEARER_VALUE = /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/g;

export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function isSecretKey(key: string): boolean {
  const words = keyWords(key);
  for (let i = 0; i < words.length; i++) {
    if (SECRET_WORDS.has(words[i]!)) return true;
    if (i + 1 < words.length && SECRET_PAIRS.has(`${words[i]} ${words[i + 1]}`)) return true;
  }
  return false;
}

export function redactString(value: string): string {
  return value.replace(SECRET_VALUE, (_m, prefix: string) => prefix + REDACTED).replace(BEARER_VALUE, `Bearer ${REDACTED}`);
}

/** A deep copy with secret keys and secret-looking values replaced. Bounded depth; cycles cannot occur in JSON input. */
export function redact<T>(value: T, depth = 0): T {
  if (depth > 64) return REDACTED as T;
  if (typeof value === "string") return redactString(value) as T;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretKey(k) && v !== null && v !== undefined && v !== "" ? REDACTED : redact(v, depth + 1);
    }
    return out as T;
  }
  return value;
}
