// Typed errors. Each carries the server's stable `code` and the HTTP `status` when there was a response.
export class CapstanError extends Error {
  readonly code: string;
  readonly status: number | undefined;
  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** Transient: no response, timeout, 429 or 5xx. Loops back off and try again. */
export class NetworkError extends CapstanError {
  /** Server-requested delay (Retry-After), already capped. */
  readonly retryAfterMs: number | undefined;
  constructor(code: string, message: string, status?: number, retryAfterMs?: number) {
    super(code, message, status);
    this.retryAfterMs = retryAfterMs;
  }
}

/** The agent token was refused (401) or the agent may not act (403): revoked, disabled, mismatch. */
export class AgentAuthError extends CapstanError {}

/** Registration refused, or impossible (no token configured). `hint` says what the operator must do. */
export class RegistrationError extends CapstanError {
  readonly hint: string;
  constructor(code: string, message: string, hint: string, status?: number) {
    super(code, message, status);
    this.hint = hint;
  }
}

/** An error's code and message as log fields. */
export const errFields = (e: unknown) => ({ code: e instanceof CapstanError ? e.code : "UNKNOWN", error: errMsg(e) });

/** A failed result. */
export const failure = (code: string, message: string) => ({ success: false as const, message, error: { code, message } });

/** An error's message, or the thrown value as text. */
export const errMsg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export const isTransient = (err: unknown): err is NetworkError => err instanceof NetworkError;

// The same words once each in the bundle (it has a size budget), the same sentences in the log.
const TOKEN = "the registration token ";
const NEW_TOKEN = ": create a new one in the console (Registration tokens) and set CAPSTAN_REGISTRATION_TOKEN";
const HINTS: Record<string, string> = {
  REGISTRATION_TOKEN_INVALID: TOKEN + "is unknown to this server" + NEW_TOKEN,
  REGISTRATION_TOKEN_EXPIRED: TOKEN + "has expired" + NEW_TOKEN,
  REGISTRATION_TOKEN_REVOKED: TOKEN + "was revoked" + NEW_TOKEN,
  REGISTRATION_TOKEN_USED: TOKEN + "has been used up" + NEW_TOKEN,
  NO_CREDENTIALS: "no stored agent token and no registration token: create a registration token in the console and set CAPSTAN_REGISTRATION_TOKEN (or the registrationToken option)",
};

/** The one line an operator needs when registration is refused. */
export function registrationHint(code: string, agentCode: string): string {
  if (code === "AGENT_CODE_TAKEN") {
    return `agent code "${agentCode}" is already registered and this registration token is not bound to it. ` +
      `If this is the same service (lost token file, new host), open the agent "${agentCode}" in the console, ` +
      `choose "Re-enroll" and set CAPSTAN_REGISTRATION_TOKEN to the token it shows; otherwise give this service a different agent code`;
  }
  return HINTS[code] ?? `registration was refused (${code}): check the registration token and the server logs`;
}
