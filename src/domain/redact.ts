// Redaction on the server. The rules themselves (which keys are secret, which values look like our
// tokens) live in the SDK's dependency-free module so the agent and the server can never disagree;
// the server adds only its own policy: deeper traversal and empty values left as they are.
import { isSecretKey, REDACTED, scrubString } from "../../sdk/src/redact.js";

export { isSecretKey, REDACTED };

export const redactString = (value: string): string => scrubString(value);

/** A deep copy with secret keys and secret-looking values replaced. Bounded depth; JSON input has no cycles. */
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
