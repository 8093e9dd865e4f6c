// Per-route documentation for the served OpenAPI document, keyed by route name (RouteDef.name).
// Paths, methods, auth and path parameters come from the route table itself (document.ts).
import {
  APPROVAL_STATUSES, APPROVAL_SUBJECT_TYPES,
  ACTOR_TYPES, AGENT_STATUSES, AUDIT_RESULTS, BUS_EVENT_OUTCOMES, BUS_ROUTE_STATUSES, COMMAND_STATUSES, EFFECTIVE_SERVICE_STATUSES, ROLES, TOKEN_STATUSES, USER_STATUSES,
  MESSAGE_CHANNELS, MESSAGE_ROUTE_STATUSES, MESSAGE_STATUSES,
} from "../vocabulary.js";

export type ResponseDoc = string | { list: string } | { array: string } | "empty" | "stream" | "text";

export interface QueryDoc {
  name: string;
  array?: boolean;
  schema?: Record<string, unknown>;
  description?: string;
}

export interface RouteDoc {
  tag: string;
  summary: string;
  description?: string;
  request?: string;
  response?: ResponseDoc;
  contentType?: string;
  query?: QueryDoc[];
}

const PAGE: QueryDoc[] = [
  { name: "page", schema: { type: "integer", minimum: 1, default: 1 } },
  { name: "pageSize", schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } },
  { name: "sort", description: "comma list of field or -field; default -createdAt" },
];
const arr = (name: string, values?: readonly string[]): QueryDoc => ({ name, array: true, schema: { type: "array", items: values ? { type: "string", enum: values } : { type: "string" } } });
const one = (name: string, description?: string): QueryDoc => ({ name, ...(description ? { description } : {}) });
const AUDIT_FILTERS: QueryDoc[] = [
  arr("actorType", ACTOR_TYPES), arr("actorId"), arr("action"), arr("targetType"), arr("targetId"),
  arr("result", AUDIT_RESULTS), one("from", "inclusive lower bound on createdAt (ISO-8601)"), one("to", "inclusive upper bound"), one("q", "literal substring"),
];

export const ROUTE_DOCS: Record<string, RouteDoc> = {
  // system
  getSystemHealth: { tag: "System", summary: "System health (503 when the database is down).", response: "SystemHealth" },
  getSystemVersion: { tag: "System", summary: "Version and edition.", response: "SystemVersion" },
  liveness: { tag: "System", summary: "Liveness probe.", response: "text" },
  readiness: { tag: "System", summary: "Readiness: database reachable and migrated.", response: "text" },
  getOpenApi: { tag: "System", summary: "This document.", response: "text", contentType: "application/json" },
  getPrometheusMetrics: { tag: "System", summary: "Prometheus metrics (CAPSTAN_METRICS=public|token).", response: "text", contentType: "text/plain; version=0.0.4" },
  // auth
  adminLogin: { tag: "AdminAuth", summary: "Log in; sets the session cookie and returns the CSRF token.", request: "AdminLoginRequest", response: "AdminSession" },
  adminLogout: { tag: "AdminAuth", summary: "End the current session.", response: "empty" },
  adminMe: { tag: "AdminAuth", summary: "The current user, session expiry and CSRF token.", response: "AdminSession" },
  adminCsrf: { tag: "AdminAuth", summary: "Rotate the session's CSRF token (with the session's expiry).", response: "CsrfToken" },
  // users and tokens
  listUsers: { tag: "AdminUsers", summary: "List users (owner).", response: { list: "User" }, query: [...PAGE, arr("role", ROLES), arr("status", USER_STATUSES), one("q")] },
  createUser: { tag: "AdminUsers", summary: "Create a user (owner).", request: "CreateUserRequest", response: "User" },
  getUser: { tag: "AdminUsers", summary: "User detail (owner).", response: "User" },
  updateUser: { tag: "AdminUsers", summary: "Change display name, role or status; the last owner is protected.", request: "UpdateUserRequest", response: "User" },
  resetUserPassword: { tag: "AdminUsers", summary: "Reset a password; ends the user's sessions.", request: "ResetUserPasswordRequest", response: "User" },
  listApiTokens: { tag: "AdminApiTokens", summary: "Your personal API tokens (owner: everyone's), without raw values.", response: { array: "ApiToken" } },
  createApiToken: { tag: "AdminApiTokens", summary: "Create a personal API token; the raw value is shown once.", request: "CreateApiTokenRequest", response: "CreateApiTokenResponse" },
  revokeApiToken: { tag: "AdminApiTokens", summary: "Revoke a personal API token.", response: "empty" },
  // dashboard, operations
  getDashboardSummary: { tag: "AdminDashboard", summary: "Counts by effective status, recent commands and audit events.", response: "DashboardSummary" },
  getAdminMetrics: { tag: "AdminDashboard", summary: "Totals, counts by status and operational counters.", response: "AdminMetrics" },
  getDiagnostics: { tag: "AdminOperations", summary: "Runtime, memory, configuration (no secrets), maintenance, database.", response: "Diagnostics" },
  runMaintenance: { tag: "AdminOperations", summary: "Run the maintenance sweeps now.", response: "MaintenanceRun" },
  createBackup: { tag: "AdminOperations", summary: "Stream a consistent SQLite snapshot (owner).", response: "stream", contentType: "application/vnd.sqlite3" },
  createSqliteBackup: {
    tag: "AdminOperations", summary: "Opstage v0.4's name for the SQLite snapshot download (owner).", response: "stream", contentType: "application/octet-stream",
    description: "On PostgreSQL: 409 BACKUP_NOT_AVAILABLE, whose message gives the pg_dump command.",
  },
  getRuntimeDiagnostics: { tag: "AdminOperations", summary: "Opstage v0.4 runtime summary: version, process, configuration without secrets.", response: "RuntimeDiagnostics" },
  getMaintenanceSettings: { tag: "AdminOperations", summary: "Effective maintenance settings (Opstage v0.4).", response: "MaintenanceSettings" },
  updateMaintenanceSettings: {
    tag: "AdminOperations", summary: "Change maintenance settings at run time (owner); persisted, audited, the timer rescheduled.", request: "MaintenanceSettingsRequest", response: "MaintenanceSettings",
    description: "A stored setting wins over its CAPSTAN_* variable. agentOfflineThresholdSeconds must be at least 2 x the heartbeat interval.",
  },
  // agents and tokens
  listAgents: { tag: "AdminAgents", summary: "List agents (status is the effective status).", response: { list: "Agent" }, query: [...PAGE, arr("status", AGENT_STATUSES), one("q")] },
  showAgent: { tag: "AdminAgents", summary: "Agent detail with its services.", response: "AgentDetail" },
  disableAgent: { tag: "AdminAgents", summary: "Disable an agent: its calls are refused until enabled.", response: "empty" },
  enableAgent: { tag: "AdminAgents", summary: "Enable a disabled agent.", response: "empty" },
  revokeAgent: { tag: "AdminAgents", summary: "Revoke an agent and its tokens.", response: "empty" },
  createRegistrationToken: { tag: "AdminRegistrationTokens", summary: "Create a registration token; the raw value is shown once.", request: "CreateRegistrationTokenRequest", response: "CreateRegistrationTokenResponse" },
  listRegistrationTokens: { tag: "AdminRegistrationTokens", summary: "List registration tokens without raw values.", response: { list: "RegistrationToken" }, query: [...PAGE, arr("status", TOKEN_STATUSES)] },
  revokeRegistrationToken: { tag: "AdminRegistrationTokens", summary: "Revoke a registration token.", response: "empty" },
  deleteRegistrationToken: {
    tag: "AdminRegistrationTokens", summary: "Delete an EXPIRED or REVOKED registration token (Opstage v0.4); answers the deleted record.", response: "RegistrationToken",
    description: "409 REGISTRATION_TOKEN_NOT_DELETABLE for an ACTIVE or USED token.",
  },
  // services
  listServices: {
    tag: "AdminCapsuleServices", summary: "List Capsule Services (status is the effective status).", response: { list: "CapsuleService" },
    query: [...PAGE, arr("status", EFFECTIVE_SERVICE_STATUSES), one("healthStatus"), one("agentId"), one("q"), one("capability")],
  },
  showService: { tag: "AdminCapsuleServices", summary: "Capsule Service detail with manifest, health, configs and actions.", response: "CapsuleServiceDetail" },
  showServiceManifest: { tag: "AdminCapsuleServices", summary: "The manifest as reported.", response: "Manifest" },
  showServiceHealth: { tag: "AdminCapsuleServices", summary: "Latest health report.", response: "HealthReport" },
  listServiceConfigs: { tag: "AdminCapsuleServices", summary: "Config metadata (sensitive values never stored).", response: { array: "ConfigItem" } },
  listServiceActions: { tag: "AdminCapsuleServices", summary: "Action definitions.", response: { array: "ActionDefinition" } },
  releaseService: { tag: "AdminCapsuleServices", summary: "Free a service code so another agent may report it.", response: "empty" },
  prepareAction: { tag: "AdminCapsuleServices", summary: "Prepare an action: asks the agent for initial payload and state (waits up to the prepare timeout).", response: "ActionPrepareResponse" },
  runAction: { tag: "AdminCapsuleServices", summary: "Execute an action: creates a PENDING command (AWAITING_APPROVAL when the action needs four-eyes approval).", request: "CreateActionCommandRequest", response: "Command" },
  // commands
  listCommands: {
    tag: "AdminCommands", summary: "List commands.", response: { list: "Command" },
    query: [...PAGE, arr("status", COMMAND_STATUSES), one("type"), one("actionName"), one("serviceId"), one("agentId"), one("from"), one("to")],
  },
  showCommand: { tag: "AdminCommands", summary: "Command detail with its result (a one-time generatedKey is shown on the first read only).", response: "CommandDetail" },
  showCommandLogs: {
    tag: "AdminCommands", summary: "Progress log lines of a command, oldest first.", response: { array: "CommandLogLine" },
    query: [{ name: "afterId", schema: { type: "integer", minimum: 0 }, description: "only lines after this id (live views)" }, { name: "limit", schema: { type: "integer", minimum: 1, maximum: 1000 } }],
  },
  cancelCommand: { tag: "AdminCommands", summary: "Cancel a pending or running command.", response: "Command" },
  retryCommand: { tag: "AdminCommands", summary: "Run a terminal command again as a new command.", request: "RetryCommandRequest", response: "Command" },
  // four-eyes approvals
  listApprovals: {
    tag: "AdminApprovals", summary: "List approval requests.", response: { list: "Approval" },
    query: [...PAGE, arr("status", APPROVAL_STATUSES), arr("subjectType", APPROVAL_SUBJECT_TYPES)],
  },
  showApproval: { tag: "AdminApprovals", summary: "Approval request detail: the redacted subject, its reviews and decision.", response: "Approval" },
  approveApproval: { tag: "AdminApprovals", summary: "Approve (never your own request); the last of the required approvals releases the command at once.", request: "ApproveApprovalRequest", response: "Approval" },
  rejectApproval: { tag: "AdminApprovals", summary: "Reject with a reason; the command becomes CANCELLED.", request: "RejectApprovalRequest", response: "Approval" },
  cancelApproval: { tag: "AdminApprovals", summary: "Withdraw a request (the requester or an owner); the command becomes CANCELLED.", request: "CancelApprovalRequest", response: "Approval" },
  listApprovalPolicies: { tag: "AdminApprovals", summary: "Owners' approval policies.", response: { array: "ApprovalPolicy" } },
  setApprovalPolicy: { tag: "AdminApprovals", summary: "Create or change the policy of a service's action (\"*\": every action): N distinct reviewers (1-3).", request: "SetApprovalPolicyRequest", response: "ApprovalPolicy" },
  deleteApprovalPolicy: { tag: "AdminApprovals", summary: "Delete an approval policy.", response: "empty" },
  // package install requests (catalog.md v0.7)
  requestPackageInstall: { tag: "AdminPackageInstalls", summary: "Ask for a package version (optionally one digest) to be allowed on an agent or all agents; an owner decides through the approvals routes.", request: "PackageInstallRequest", response: "PackageInstall" },
  listPackageInstalls: { tag: "AdminPackageInstalls", summary: "The install requests of one package version, newest first.", response: { array: "PackageInstall" }, query: [one("packageName"), one("version")] },
  showPackageInstall: { tag: "AdminPackageInstalls", summary: "One install request.", response: "PackageInstall" },
  // audit
  listAuditEvents: { tag: "AdminAuditEvents", summary: "List audit events.", response: { list: "AuditEvent" }, query: [...PAGE, ...AUDIT_FILTERS] },
  exportAuditEvents: { tag: "AdminAuditEvents", summary: "Stream every matching audit event as CSV, JSON or NDJSON.", response: "stream", contentType: "text/csv", query: [one("format", "csv | json | ndjson"), ...AUDIT_FILTERS] },
  getAuditEvent: { tag: "AdminAuditEvents", summary: "Audit event detail.", response: "AuditEvent" },
  // Capsule Bus (503 CAPSULE_BUS_DISABLED while CAPSTAN_BUS_ENABLED is off)
  listBusRoutes: {
    tag: "AdminBus", summary: "List bus route rules.", response: { list: "BusRoute" },
    query: [...PAGE, arr("status", BUS_ROUTE_STATUSES), arr("eventType"), arr("targetServiceCode"), one("q")],
  },
  createBusRoute: {
    tag: "AdminBus", summary: "Create a route rule (new routes are DISABLED unless status says otherwise).", request: "CreateBusRouteRequest", response: "BusRoute",
    description: "Also accepts the Opstage v0.4 shape (V04BusRouteRequest: {name, match, target, inputMapping, ...}).",
  },
  previewBusRoute: { tag: "AdminBus", summary: "Test a route definition against a sample event; nothing is saved or run.", request: "PreviewBusRouteRequest", response: "BusRoutePreview" },
  showBusRoute: { tag: "AdminBus", summary: "Route rule detail with what its target currently is.", response: "BusRoute" },
  updateBusRoute: { tag: "AdminBus", summary: "Change a route; changing what it runs clears its confirmation.", request: "UpdateBusRouteRequest", response: "BusRoute" },
  replaceBusRoute: {
    tag: "AdminBus", summary: "Replace a route (Opstage v0.4 PUT), in the v0.4 shape {match, target, inputMapping} or ours.", request: "ReplaceBusRouteRequest", response: "BusRoute",
    description: "Fields left out are cleared, except status (kept) and confirmed (kept unless what the route runs changes).",
  },
  deleteBusRoute: { tag: "AdminBus", summary: "Delete a route rule.", response: "empty" },
  listBusAudit: { tag: "AdminBus", summary: "Audit events of the bus (actions bus.*), Opstage v0.4.", response: { list: "AuditEvent" }, query: [...PAGE, ...AUDIT_FILTERS] },
  listBusEvents: {
    tag: "AdminBus", summary: "Received events with their outcome and the commands they caused.", response: { list: "BusEvent" },
    query: [...PAGE, arr("eventType"), arr("source"), arr("outcome", BUS_EVENT_OUTCOMES), arr("agentId")],
  },
  showBusEvent: { tag: "AdminBus", summary: "One received event with the commands it caused.", response: "BusEventDetail" },
  // notifications (owner only)
  listWebhooks: { tag: "AdminWebhooks", summary: "List notification endpoints (never their secrets).", response: { array: "WebhookEndpoint" } },
  createWebhook: {
    tag: "AdminWebhooks", summary: "Create an endpoint; the answer carries its whsec_ signing secret, shown this once.",
    description: "422 WEBHOOK_URL_FORBIDDEN when the URL's host resolves to a private, loopback or link-local address the configuration does not allow.",
    request: "CreateWebhookRequest", response: "WebhookEndpointCreated",
  },
  showWebhook: { tag: "AdminWebhooks", summary: "Endpoint detail with its health.", response: "WebhookEndpoint" },
  updateWebhook: { tag: "AdminWebhooks", summary: "Change an endpoint; enabling one the system disabled clears its failure state.", request: "UpdateWebhookRequest", response: "WebhookEndpoint" },
  deleteWebhook: { tag: "AdminWebhooks", summary: "Delete an endpoint and its undelivered messages.", response: "empty" },
  testWebhook: { tag: "AdminWebhooks", summary: "Queue a webhook.test message for the endpoint.", response: "WebhookDelivery" },
  listWebhookDeliveries: {
    tag: "AdminWebhooks", summary: "The endpoint's delivery log, newest first.", response: { array: "WebhookDelivery" },
    query: [{ name: "limit", schema: { type: "integer", minimum: 1, maximum: 200, default: 50 } }],
  },
  redeliverWebhook: { tag: "AdminWebhooks", summary: "Queue a delivery's message again (same webhook-id and body).", response: "WebhookDelivery" },
  // message routing (503 MESSAGES_DISABLED while CAPSTAN_MESSAGES_ENABLED is off)
  sendMessage: {
    tag: "Messages", summary: "HTTP channel: submit a conversation message (202); it is routed to one service or answered at once.",
    description: "API tokens need the messages scope (admin tokens have it too). 429 MESSAGE_RATE_LIMITED past the per-channel or per-sender limit.",
    request: "SendMessageRequest", response: "MessageAccepted",
  },
  showMessage: {
    tag: "Messages", summary: "A message with its status and, once answered, its reply; ?wait=N long-polls up to N (<= 30) seconds for the reply.",
    response: "ConversationMessage", query: [{ name: "wait", schema: { type: "number", minimum: 0, maximum: 30 } }],
  },
  listMessages: {
    tag: "AdminMessages", summary: "Received messages, newest first, with route, service, reply and latency.", response: { list: "ConversationMessage" },
    query: [PAGE[0]!, PAGE[1]!, arr("channel", MESSAGE_CHANNELS), arr("status", MESSAGE_STATUSES), one("conversationId")],
  },
  listMessageRoutes: { tag: "AdminMessages", summary: "Message routes in matching order (priority, then age).", response: { list: "MessageRoute" }, query: [PAGE[0]!, PAGE[1]!, arr("status", MESSAGE_ROUTE_STATUSES)] },
  createMessageRoute: { tag: "AdminMessages", summary: "Create a message route.", request: "CreateMessageRouteRequest", response: "MessageRoute" },
  previewMessageRoute: { tag: "AdminMessages", summary: "Which route a message with this text would take now (null: the unrouted answer); nothing is stored or sent.", request: "PreviewMessageRouteRequest", response: "MessageRoutePreview" },
  showMessageRoute: { tag: "AdminMessages", summary: "Message route detail with whether its target accepts messages.", response: "MessageRoute" },
  updateMessageRoute: { tag: "AdminMessages", summary: "Change a message route.", request: "UpdateMessageRouteRequest", response: "MessageRoute" },
  deleteMessageRoute: { tag: "AdminMessages", summary: "Delete a message route.", response: "empty" },
  showTelegramChannel: { tag: "AdminMessages", summary: "The Telegram channel's configuration (never the bot token).", response: "TelegramChannel" },
  putTelegramChannel: { tag: "AdminMessages", summary: "Configure the Telegram channel (owner): bot token (stored encrypted, never shown again), allowed chats, on/off.", request: "PutTelegramChannelRequest", response: "TelegramChannel" },
  // packages (catalog.md): the catalog's admin API; a scoped name's "/" is sent as %2F
  listPackages: {
    tag: "AdminPackages", summary: "Packages; q searches names, tags and capability names; runtime filters.", response: { list: "Package" },
    query: [...PAGE, one("q", "literal substring of the name, a tag or a capability"), arr("runtime")],
  },
  publishPackage: {
    tag: "AdminPackages", summary: "Publish a version (201, PENDING_APPROVAL until an owner other than you approves it in /api/admin/approvals).",
    description: "409 PACKAGE_VERSION_EXISTS / PACKAGE_DIGEST_CONFLICT; 422 PACKAGE_VERSION_INVALID, PACKAGE_DIGEST_MISMATCH (the optional ?digest= differs).",
    request: "PackageDescriptor", response: "PackageVersion", query: [one("digest", "sha256:<hex> the publisher computed; must equal the version's digest")],
  },
  showPackage: { tag: "AdminPackages", summary: "A package: versions (SemVer order) and where it runs.", response: "PackageDetail" },
  showScopedPackage: { tag: "AdminPackages", summary: "The same for an unencoded scope/name.", response: "PackageDetail" },
  yankPackageVersion: { tag: "AdminPackages", summary: "Yank a version (owner): kept, flagged, no longer latest.", request: "YankPackageVersionRequest", response: "PackageVersion" },
  unyankPackageVersion: { tag: "AdminPackages", summary: "Undo a yank (owner).", response: "PackageVersion" },
  deprecatePackageVersion: { tag: "AdminPackages", summary: "Deprecate a version with a message, or clear it with null (owner).", request: "DeprecatePackageVersionRequest", response: "PackageVersion" },
  // the registry: plain JSON documents (no envelope) with ETag / If-None-Match
  registryIndex: { tag: "Registry", summary: "Every package with approved versions: versions' summary, latest, deprecated.", response: "text", contentType: "application/json" },
  registryKeys: { tag: "Registry", summary: "Public ed25519 keys (SPKI PEM) that verify the signatures, until they expire.", response: "text", contentType: "application/json" },
  registryPackage: { tag: "Registry", summary: "Every approved version's record with signatures over name@version:digest.", response: "text", contentType: "application/json" },
  registryScopedPackage: { tag: "Registry", summary: "The same for an unencoded scope/name.", response: "text", contentType: "application/json" },
  // agent API
  registerAgent: { tag: "Agent", summary: "Register with a registration token; returns the agent token once.", request: "RegisterAgentRequest", response: "RegisterAgentResponse" },
  sendHeartbeat: { tag: "Agent", summary: "Heartbeat with optional health.", request: "AgentHeartbeatRequest", response: "AgentHeartbeatResponse" },
  reportServices: { tag: "Agent", summary: "Report services: manifest, configs, actions, health.", request: "ServiceReportRequest", response: "ServiceReportResponse" },
  pollCommands: {
    tag: "Agent", summary: "Claim pending commands (atomically set RUNNING); waitSeconds > 0 long-polls.", response: { array: "Command" },
    query: [{ name: "limit", schema: { type: "integer", minimum: 1, maximum: 10 } }, { name: "waitSeconds", schema: { type: "number", minimum: 0, maximum: 30 }, description: "Capstan addition: long poll up to this many seconds" }],
  },
  reportProgress: { tag: "Agent", summary: "Progress and log lines of a running command; tells the agent when it was cancelled.", request: "CommandProgressRequest", response: "CommandProgressResponse" },
  reportResult: { tag: "Agent", summary: "Report a command's result (idempotent for an identical repeat).", request: "ReportCommandResultRequest", response: "empty" },
  publishBusEvent: { tag: "Agent", summary: "Publish a Capsule Bus event (404 while the bus is off; 429 past the per-agent limit).", request: "PublishBusEventRequest", response: "PublishBusEventResponse" },
};
