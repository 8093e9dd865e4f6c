// Redaction on the server. There is one implementation, the SDK's dependency-free module, so the
// agent and the server can never disagree about what is secret; the server only chooses its depth:
// stored JSON may nest as deep as the body parser allows (64 levels), deeper than a log line.
import { isSecretKey, REDACTED, redact as redactDeep, scrubString } from "../../sdk/src/redact.js";

export { isSecretKey, REDACTED };

const SERVER_MAX_DEPTH = 64;

export const redactString = (value: string): string => scrubString(value);

/** A deep copy with secret keys and secret-looking values replaced. JSON input has no cycles. */
export const redact = <T>(value: T): T => redactDeep(value, [], SERVER_MAX_DEPTH) as T;
