// One error type, one table of codes -> HTTP status. Handlers throw AppError; app.ts maps it.
export const ERRORS = {
  // generic
  VALIDATION_FAILED: 422,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  BACKUP_NOT_AVAILABLE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REQUEST_TIMEOUT: 408,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  REQUEST_ERROR: 400,
  REQUEST_HEADERS_TOO_LARGE: 431,
  // authentication
  LOGIN_FAILED: 401,
  CSRF_INVALID: 403,
  // tokens
  REGISTRATION_TOKEN_INVALID: 401,
  REGISTRATION_TOKEN_EXPIRED: 401,
  REGISTRATION_TOKEN_USED: 409,
  REGISTRATION_TOKEN_REVOKED: 401,
  REGISTRATION_TOKEN_NOT_FOUND: 404,
  REGISTRATION_TOKEN_NOT_DELETABLE: 409,
  AGENT_TOKEN_INVALID: 401,
  AGENT_TOKEN_REVOKED: 401,
  API_TOKEN_NOT_FOUND: 404,
  // agents
  AGENT_NOT_FOUND: 404,
  AGENT_DISABLED: 403,
  AGENT_REVOKED: 403,
  AGENT_CODE_TAKEN: 409,
  AGENT_ID_MISMATCH: 403,
  AGENT_NOT_AVAILABLE: 409,
  // capsule services
  CAPSULE_SERVICE_NOT_FOUND: 404,
  CAPSULE_SERVICE_NOT_OWNED: 403,
  CAPSULE_SERVICE_MANIFEST_INVALID: 422,
  CAPSULE_SERVICE_MANIFEST_TOO_LARGE: 413,
  CAPSULE_SERVICE_CODE_TAKEN: 409,
  // actions and commands
  ACTION_NOT_FOUND: 404,
  ACTION_DISABLED: 403,
  ACTION_PAYLOAD_INVALID: 422,
  ACTION_REQUIRES_CONFIRMATION: 422,
  COMMAND_NOT_FOUND: 404,
  COMMAND_ALREADY_TERMINAL: 409,
  COMMAND_EXPIRED: 410,
  COMMAND_INVALID_TRANSITION: 409,
  COMMAND_NOT_RETRYABLE: 409,
  COMMAND_NOT_CANCELLABLE: 409,
  COMMAND_RESULT_TOO_LARGE: 413,
  ACTION_PREPARE_TIMEOUT: 408,
  ACTION_PREPARE_FAILED: 424,
  // four-eyes approvals
  APPROVAL_NOT_FOUND: 404,
  APPROVAL_SELF_REVIEW: 403,
  APPROVAL_ALREADY_REVIEWED: 409,
  APPROVAL_NOT_PENDING: 409,
  APPROVAL_POLICY_NOT_FOUND: 404,
  // packages (catalog, registry)
  PACKAGE_NOT_FOUND: 404,
  PACKAGE_VERSION_NOT_FOUND: 404,
  PACKAGE_VERSION_INVALID: 422,
  PACKAGE_VERSION_EXISTS: 409,
  PACKAGE_DIGEST_CONFLICT: 409,
  PACKAGE_DIGEST_MISMATCH: 422,
  // package policy (CAPSTAN_PACKAGE_POLICY=enforce) and install requests
  PACKAGE_NOT_APPROVED: 409,
  // users
  USER_ALREADY_EXISTS: 409,
  USER_NOT_FOUND: 404,
  LAST_OWNER_REQUIRED: 409,
  // audit
  AUDIT_EVENT_NOT_FOUND: 404,
  // system
  DATABASE_UNAVAILABLE: 503,
  // bus
  // bus off (admin API): the Opstage v0.4 console keys on this name; earlier releases sent BUS_DISABLED
  CAPSULE_BUS_DISABLED: 503,
  BUS_DEPTH_EXCEEDED: 422,
  BUS_RATE_LIMITED: 429,
  BUS_ROUTE_NOT_FOUND: 404,
  BUS_ROUTE_CONFIRMATION_REQUIRED: 422,
  BUS_PAYLOAD_TOO_LARGE: 422,
  // notifications (webhooks)
  WEBHOOK_ENDPOINT_NOT_FOUND: 404,
  WEBHOOK_DELIVERY_NOT_FOUND: 404,
  WEBHOOK_URL_FORBIDDEN: 422,
  // messages
  MESSAGES_DISABLED: 503,
  MESSAGE_NOT_FOUND: 404,
  MESSAGE_ROUTE_NOT_FOUND: 404,
  MESSAGE_RATE_LIMITED: 429,
  TOKEN_SCOPE_FORBIDDEN: 403,
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: Record<string, unknown>;
  /** Extra response headers, e.g. Retry-After or Allow. */
  readonly headers?: Record<string, string>;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>, headers?: Record<string, string>) {
    super(message ?? code.toLowerCase().replace(/_/g, " "));
    this.code = code;
    this.status = ERRORS[code];
    if (details !== undefined) this.details = details;
    if (headers !== undefined) this.headers = headers;
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;
