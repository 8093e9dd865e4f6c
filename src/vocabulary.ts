// The one vocabulary: every status, type and level list of Capstan, defined once. zod schemas
// (z.enum(LIST)), db row types, the OpenAPI document, console filters and metrics import these.
// schema.sql keeps its own CHECK lists (SQL); test/db/vocabulary.test.ts fails when they drift.
// A leaf module with no imports, so db, domain, routes and console may all use it.

export const ROLES = ["owner", "operator", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const USER_STATUSES = ["ACTIVE", "DISABLED"] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** Registration tokens; ACTIVE past expires_at reads as EXPIRED. */
export const TOKEN_STATUSES = ["ACTIVE", "USED", "REVOKED", "EXPIRED"] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

/** Personal API tokens (computed on the wire from revoked_at / expires_at). */
export const API_TOKEN_STATUSES = ["ACTIVE", "REVOKED", "EXPIRED"] as const;
export type ApiTokenStatus = (typeof API_TOKEN_STATUSES)[number];

export const AGENT_TOKEN_STATUSES = ["ACTIVE", "REVOKED"] as const;
export type AgentTokenStatus = (typeof AGENT_TOKEN_STATUSES)[number];

/** ophub: an external agent process governing several local services (upstream v0.3, registers with no service). */
export const AGENT_MODES = ["embedded", "sidecar", "external", "ophub"] as const;
export const AGENT_STATUSES = ["PENDING", "ONLINE", "OFFLINE", "DISABLED", "REVOKED"] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const SERVICE_STATUSES = ["UNKNOWN", "HEALTHY", "UNHEALTHY", "STALE", "OFFLINE"] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];
/**
 * The wire's service status: the stored ones plus QUARANTINED (ours, catalog.md): a service whose
 * package version is not approved for its agent under CAPSTAN_PACKAGE_POLICY=enforce. Computed at
 * read time only, never stored (stored_status keeps the reference enum).
 */
export const EFFECTIVE_SERVICE_STATUSES = [...SERVICE_STATUSES, "QUARANTINED"] as const;
export type EffectiveServiceStatus = (typeof EFFECTIVE_SERVICE_STATUSES)[number];
export const PACKAGE_POLICIES = ["off", "warn", "enforce"] as const;
export type PackagePolicy = (typeof PACKAGE_POLICIES)[number];

export const HEALTH_STATUSES = ["UP", "DEGRADED", "DOWN", "UNKNOWN"] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];
/** Capstan's own health (/api/system/health): never UNKNOWN. */
export const SYSTEM_HEALTH_STATUSES = ["UP", "DEGRADED", "DOWN"] as const;
export type SystemHealthStatus = (typeof SYSTEM_HEALTH_STATUSES)[number];

export const DANGER_LEVELS = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type DangerLevel = (typeof DANGER_LEVELS)[number];

/** MESSAGE: a conversation message delivered to a service that declared message support (domain/messages). */
export const COMMAND_TYPES = ["ACTION_PREPARE", "ACTION_EXECUTE", "MESSAGE"] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];
/** AWAITING_APPROVAL: created for an action that needs approval; not claimable, not counted as pending, until approved. */
export const COMMAND_STATUSES = ["AWAITING_APPROVAL", "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "EXPIRED", "CANCELLED"] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];
export const TERMINAL_COMMAND_STATUSES = ["SUCCEEDED", "FAILED", "EXPIRED", "CANCELLED"] as const satisfies readonly CommandStatus[];
/** Who created a command: an operator, a bus route, or Capstan itself. */
export const COMMAND_CREATORS = ["USER", "BUS", "SYSTEM"] as const;
export type CommandCreator = (typeof COMMAND_CREATORS)[number];
/** What a command_secrets row holds: the secret payload fields until dispatch, or the one-time generatedKey until read. */
export const COMMAND_SECRET_KINDS = ["secrets", "generatedKey"] as const;
export type CommandSecretKind = (typeof COMMAND_SECRET_KINDS)[number];
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

export const ACTOR_TYPES = ["USER", "AGENT", "SYSTEM"] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];
export const AUDIT_RESULTS = ["SUCCESS", "FAILURE"] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

export const BUS_ROUTE_STATUSES = ["DISABLED", "DRY_RUN", "ENABLED"] as const;
export type BusRouteStatus = (typeof BUS_ROUTE_STATUSES)[number];
/** The route statuses that match events (DISABLED routes never do). */
export const LIVE_BUS_ROUTE_STATUSES = ["DRY_RUN", "ENABLED"] as const satisfies readonly BusRouteStatus[];
export type LiveBusRouteStatus = (typeof LIVE_BUS_ROUTE_STATUSES)[number];
export const BUS_EVENT_OUTCOMES = ["UNMATCHED", "DRY_RUN", "DISPATCHED", "PARTIAL", "FAILED", "REFUSED"] as const;
export type BusEventOutcome = (typeof BUS_EVENT_OUTCOMES)[number];
/** What one matching route did with an event. */
export const BUS_MATCH_OUTCOMES = ["DRY_RUN", "COMMAND_CREATED", "FAILED"] as const;
export type BusMatchOutcome = (typeof BUS_MATCH_OUTCOMES)[number];

/** Four-eyes approvals (governance.md): one model for every kind of subject. */
export const APPROVAL_STATUSES = ["PENDING", "APPROVED", "REJECTED", "EXPIRED", "CANCELLED"] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];
/** What an approval is about; checked here, not by a CHECK, so the catalog adds its package subjects without a table rebuild. */
export const APPROVAL_SUBJECT_TYPES = ["COMMAND", "PACKAGE_VERSION", "PACKAGE_INSTALL"] as const;
export type ApprovalSubjectType = (typeof APPROVAL_SUBJECT_TYPES)[number];
export const APPROVAL_DECISIONS = ["APPROVE", "REJECT"] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];
/**
 * The notification events an endpoint can subscribe to: the one list (API and console validate
 * against it). Each is derived from an audit event by the rule table in domain/notifications/events.ts,
 * which the compiler keeps complete; to add one, add it here and give it a rule there.
 */
export const NOTIFICATION_EVENT_TYPES = [
  "agent.offline", "agent.online", "service.unhealthy", "service.recovered", "command.failed", "command.expired",
  "approval.requested", "approval.decided",
] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENT_TYPES)[number];
/** standard: Standard Webhooks (signed JSON); slack: {text, blocks} for Slack/Mattermost incoming webhooks. */
export const WEBHOOK_FORMATS = ["standard", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];
export const WEBHOOK_DELIVERY_STATUSES = ["PENDING", "DELIVERED", "FAILED"] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];
/** Message routing (domain/messages): where messages come from, what they are, what became of them. */
export const MESSAGE_CHANNELS = ["http", "telegram"] as const;
export type MessageChannel = (typeof MESSAGE_CHANNELS)[number];
export const MESSAGE_TYPES = ["QUERY", "COMMAND", "EVENT"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
export const MESSAGE_STATUSES = ["RECEIVED", "ROUTED", "ANSWERED", "UNROUTED", "FAILED", "EXPIRED"] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export const MESSAGE_ROUTE_STATUSES = ["ENABLED", "DISABLED"] as const;
export type MessageRouteStatus = (typeof MESSAGE_ROUTE_STATUSES)[number];
export const REPLY_FORMATS = ["text", "markdown"] as const;
export type ReplyFormat = (typeof REPLY_FORMATS)[number];
/** What a personal API token may call: admin = the admin API with its owner's role (the default); messages = /api/messages only. */
export const API_TOKEN_SCOPES = ["admin", "messages"] as const;
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

/** Capsule packages (catalog.md): a published version and an install approval wait for an owner's decision. */
export const PACKAGE_VERSION_STATUSES = ["PENDING_APPROVAL", "APPROVED", "REJECTED"] as const;
export type PackageVersionStatus = (typeof PACKAGE_VERSION_STATUSES)[number];
export const PACKAGE_INSTALL_STATUSES = ["PENDING_APPROVAL", "APPROVED", "REJECTED"] as const;
export type PackageInstallStatus = (typeof PACKAGE_INSTALL_STATUSES)[number];
/** Where a version's signed digest comes from: the descriptor's artifact.digest, or sha256 of the canonical descriptor. */
export const PACKAGE_DIGEST_SOURCES = ["artifact", "descriptor"] as const;
export type PackageDigestSource = (typeof PACKAGE_DIGEST_SOURCES)[number];
export const PACKAGE_ARTIFACT_KINDS = ["npm", "oci", "url"] as const;
export const PACKAGE_EVENT_DIRECTIONS = ["publish", "subscribe"] as const;
export const REGISTRY_KEY_ALGORITHMS = ["ed25519"] as const;

/** Every list by name: the console's filter dropdowns read it (it.vocab in templates). */
export const VOCABULARY = {
  ROLES, USER_STATUSES, TOKEN_STATUSES, API_TOKEN_STATUSES, AGENT_TOKEN_STATUSES, AGENT_MODES, AGENT_STATUSES, SERVICE_STATUSES, EFFECTIVE_SERVICE_STATUSES,
  HEALTH_STATUSES, SYSTEM_HEALTH_STATUSES, DANGER_LEVELS, COMMAND_TYPES, COMMAND_STATUSES, TERMINAL_COMMAND_STATUSES, COMMAND_CREATORS,
  LOG_LEVELS, ACTOR_TYPES, AUDIT_RESULTS, BUS_ROUTE_STATUSES, LIVE_BUS_ROUTE_STATUSES, BUS_EVENT_OUTCOMES, BUS_MATCH_OUTCOMES,
  APPROVAL_STATUSES, APPROVAL_SUBJECT_TYPES, APPROVAL_DECISIONS,
  MESSAGE_CHANNELS, MESSAGE_TYPES, MESSAGE_STATUSES, MESSAGE_ROUTE_STATUSES, REPLY_FORMATS, API_TOKEN_SCOPES,
  PACKAGE_VERSION_STATUSES, PACKAGE_INSTALL_STATUSES,
} as const;
