// Our OpenAPI component schemas (JSON Schema 2020-12). Responses are written here (they have no zod
// source); request bodies are generated from the zod schemas in requests.ts. Field names and enums
// follow the Capsule Management Contract v0.1 so reference clients work; our additions are marked
// in descriptions and listed in docs/compatibility.md.
import {
  ACTOR_TYPES, AGENT_MODES, AGENT_STATUSES, API_TOKEN_STATUSES, AUDIT_RESULTS, BUS_EVENT_OUTCOMES, BUS_MATCH_OUTCOMES, BUS_ROUTE_STATUSES,
  APPROVAL_DECISIONS, APPROVAL_STATUSES, APPROVAL_SUBJECT_TYPES,
  COMMAND_CREATORS, COMMAND_STATUSES, COMMAND_TYPES, DANGER_LEVELS, HEALTH_STATUSES, LIVE_BUS_ROUTE_STATUSES, ROLES,
  EFFECTIVE_SERVICE_STATUSES, PACKAGE_INSTALL_STATUSES, SYSTEM_HEALTH_STATUSES, TOKEN_STATUSES, USER_STATUSES, API_TOKEN_SCOPES, MESSAGE_CHANNELS, MESSAGE_ROUTE_STATUSES, MESSAGE_STATUSES,
  MESSAGE_TYPES, REPLY_FORMATS,
} from "../vocabulary.js";
import { NOTIFICATION_EVENT_TYPES, WEBHOOK_DELIVERY_STATUSES, WEBHOOK_FORMATS } from "../vocabulary.js";
import { PACKAGE_SCHEMAS } from "./packageSchemas.js";
import { REQUEST_SCHEMAS } from "./requests.js";

type Schema = Record<string, unknown>;

const str = (extra: Schema = {}): Schema => ({ type: "string", ...extra });
const nstr = (extra: Schema = {}): Schema => ({ type: ["string", "null"], ...extra });
const time = (): Schema => ({ type: "string", format: "date-time" });
const ntime = (): Schema => ({ type: ["string", "null"], format: "date-time" });
const int = (extra: Schema = {}): Schema => ({ type: "integer", ...extra });
const bool = (): Schema => ({ type: "boolean" });
const obj = (properties: Schema, required: string[] = [], extra: Schema = {}): Schema => ({ type: "object", required, properties, ...extra });
const anyObj = (): Schema => ({ type: "object", additionalProperties: true });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const id = (prefix: string): Schema => ({ type: "string", pattern: `^${prefix}_` });
const en = (values: readonly string[]): Schema => ({ type: "string", enum: [...values] });

export const SCHEMAS: Record<string, Schema> = {
  SuccessEnvelope: obj({ success: { type: "boolean", const: true } }, ["success"]),
  ErrorEnvelope: obj({ success: { type: "boolean", const: false }, error: ref("ErrorInfo") }, ["success", "error"]),
  ErrorInfo: obj({ code: str(), message: str(), details: anyObj() }, ["code", "message"]),
  Pagination: obj({ page: int(), pageSize: int(), total: int(), totalCapped: bool() }, ["page", "pageSize", "total"]),

  AgentStatus: en(AGENT_STATUSES),
  CapsuleServiceStatus: en(EFFECTIVE_SERVICE_STATUSES),
  HealthStatus: en(HEALTH_STATUSES),
  CommandStatus: en(COMMAND_STATUSES),
  DangerLevel: { ...en(DANGER_LEVELS), description: "CRITICAL is accepted by Capstan (reserved in the reference); HIGH and CRITICAL always require confirmation." },
  TokenStatus: en(TOKEN_STATUSES),
  Role: en(ROLES),

  User: obj({
    id: id("usr"), username: str(), displayName: nstr(), role: ref("Role"), status: en(USER_STATUSES),
    lastLoginAt: ntime(), createdAt: time(), updatedAt: time(),
  }, ["id", "username", "role", "status"]),
  CsrfToken: obj({ csrfToken: str(), expiresAt: ntime() }, ["csrfToken", "expiresAt"]),
  AdminSession: obj({ user: ref("User"), csrfToken: { type: ["string", "null"] }, expiresAt: ntime() }, ["user", "csrfToken", "expiresAt"]),

  ApiToken: obj({
    id: id("apt"), name: str(), userId: id("usr"), username: str(), status: en(API_TOKEN_STATUSES),
    createdAt: time(), expiresAt: ntime(), lastUsedAt: ntime(), revokedAt: ntime(),
    scopes: { type: "array", items: en(API_TOKEN_SCOPES), description: "Capstan addition: admin (the admin API) and/or messages (/api/messages)" },
  }, ["id", "name", "userId", "status", "createdAt"]),
  CreateApiTokenResponse: obj({
    id: id("apt"), name: str(), rawToken: str({ pattern: "^capstan_pat_" }), createdAt: time(), expiresAt: ntime(),
    scopes: { type: "array", items: en(API_TOKEN_SCOPES), description: "Capstan addition" },
  }, ["id", "name", "rawToken", "createdAt"]),

  Agent: obj({
    id: id("agt"), code: str(), name: nstr(), mode: en(AGENT_MODES), runtime: nstr(),
    status: ref("AgentStatus"), storedStatus: ref("AgentStatus"), statusReason: str(),
    version: nstr(), hostname: nstr(), os: nstr(), arch: nstr(),
    lastHeartbeatAt: ntime(), lastSeenAt: ntime(), registeredAt: time(), createdAt: time(), updatedAt: time(),
    serviceCount: int({ minimum: 0, description: "Opstage v0.4: services owned (list rows and detail)" }),
  }, ["id", "code", "mode", "status", "createdAt", "updatedAt"]),
  AgentDetail: { allOf: [ref("Agent"), obj({ services: { type: "array", items: ref("CapsuleService"), description: "Opstage v0.4: the agent's services (effective status)" } }, ["serviceCount", "services"])] },

  RegistrationToken: obj({
    id: id("tok"), name: str(), status: ref("TokenStatus"), expiresAt: ntime(), usedAt: ntime(), createdAt: time(),
    maxUses: int({ minimum: 1 }), useCount: int({ minimum: 0 }), agentCode: nstr(),
  }, ["id", "name", "status", "createdAt"]),
  CreateRegistrationTokenResponse: { allOf: [ref("RegistrationToken"), obj({ rawToken: str({ pattern: "^opstage_reg_" }) }, ["rawToken"])] },

  CapsuleService: obj({
    id: id("svc"), agentId: { type: ["string", "null"] }, agentCode: nstr(), code: str(), name: str(), description: nstr(), version: nstr(),
    runtime: nstr(), status: ref("CapsuleServiceStatus"), storedStatus: ref("CapsuleServiceStatus"), statusReason: str(),
    healthStatus: ref("HealthStatus"), lastReportedAt: ntime(), lastHealthAt: ntime(), createdAt: time(), updatedAt: time(),
    package: { oneOf: [obj({ name: str(), version: str(), digest: nstr(), approved: bool() }, ["name", "version", "approved"]), { type: "null" }] },
  }, ["id", "code", "name", "status", "createdAt", "updatedAt"]),
  CapsuleServiceDetail: { allOf: [ref("CapsuleService"), obj({ manifest: anyObj(), health: { oneOf: [ref("HealthReport"), { type: "null" }] }, configs: { type: "array", items: ref("ConfigItem") }, actions: { type: "array", items: ref("ActionDefinition") } })] },
  HealthReport: obj({ id: id("hlr"), serviceId: id("svc"), agentId: { type: ["string", "null"] }, status: ref("HealthStatus"), message: nstr(), details: anyObj(), reportedAt: time() }, ["id", "serviceId", "status", "reportedAt"]),
  ConfigItem: obj({
    id: id("cfg"), serviceId: id("svc"), key: str(), label: nstr(), type: str(), source: nstr(), editable: bool(), sensitive: bool(),
    valuePreview: nstr({ description: "always null for sensitive items" }), defaultValue: nstr(), secretRef: nstr(),
    configKey: str({ description: "Opstage v0.4: the same value as key" }),
  }, ["id", "serviceId", "key", "type", "sensitive"]),
  ActionDefinition: obj({
    id: id("act"), serviceId: id("svc"), name: str(), label: str(), description: nstr(), dangerLevel: ref("DangerLevel"),
    requiresConfirmation: bool(), requiresApproval: bool(), enabled: bool(), inputSchema: anyObj(), timeoutSeconds: { type: ["integer", "null"] },
  }, ["id", "serviceId", "name", "label", "dangerLevel", "requiresConfirmation"]),
  ActionPrepareResponse: obj({ action: ref("ActionDefinition"), initialPayload: anyObj(), currentState: anyObj(), inputSchema: anyObj(), prepareCommand: ref("CommandDetail") }, ["action", "initialPayload"]),

  Command: obj({
    id: id("cmd"), agentId: id("agt"), serviceId: id("svc"), type: en(COMMAND_TYPES), actionName: str(),
    status: ref("CommandStatus"), payload: anyObj(), createdByUserId: { type: ["string", "null"] },
    createdAt: time(), startedAt: ntime(), completedAt: ntime(), expiresAt: ntime(),
    retryOf: nstr(), errorCode: nstr(), errorMessage: nstr(), cancelRequested: bool(), createdByType: en(COMMAND_CREATORS),
    sourceEventId: nstr(), progress: { type: ["object", "null"], additionalProperties: true },
    cancelRequestedAt: ntime(), timeoutSeconds: { type: ["integer", "null"] }, logsCount: int(), secretFields: { type: "array", items: str() },
    durationMs: { type: ["integer", "null"], minimum: 0, description: "Opstage v0.4: completedAt - startedAt in ms, null until both are set" },
  }, ["id", "agentId", "serviceId", "type", "actionName", "status", "createdAt"]),
  CommandDetail: { allOf: [ref("Command"), obj({ result: { oneOf: [ref("CommandResult"), { type: "null" }] }, approval: ref("Approval") })] },
  CommandResult: obj({ id: id("crs"), commandId: id("cmd"), success: bool(), message: nstr(), data: anyObj(), error: anyObj(), reportedAt: time(),
    metrics: obj({ attempts: int(), durationMs: { type: "number" }, cpuUserMs: { type: "number" }, cpuSystemMs: { type: "number" }, peakHeapMb: { type: "number" } },
      ["attempts", "durationMs", "cpuUserMs", "cpuSystemMs"], { description: "ours: the agent's execution trace of the run (absent when the agent sent none)" }) }, ["id", "commandId", "success", "reportedAt"]),
  CommandLogLine: obj({ id: int(), at: time(), level: str(), message: str() }, ["id", "at", "level", "message"]),
  // four-eyes approvals (Capstan addition)
  Approval: obj({
    id: id("apr"), subjectType: en(APPROVAL_SUBJECT_TYPES), subjectId: str(), status: en(APPROVAL_STATUSES),
    requiredApprovals: int({ minimum: 1, maximum: 3 }), approvals: int({ minimum: 0 }), requestedByUserId: nstr(), requestedBy: nstr(),
    subject: anyObj(),
    reviews: { type: "array", items: obj({ reviewerUserId: str(), reviewer: nstr(), decision: en(APPROVAL_DECISIONS), comment: nstr(), createdAt: time() }, ["reviewerUserId", "decision", "createdAt"]) },
    reason: nstr(), decidedByUserId: nstr(), decidedAt: ntime(), createdAt: time(), expiresAt: time(),
  }, ["id", "subjectType", "subjectId", "status", "requiredApprovals", "approvals", "subject", "reviews", "createdAt", "expiresAt"]),
  PackageInstall: obj({
    id: id("pki"), packageName: str(), version: str(), digest: nstr(), agentId: nstr(), status: en(PACKAGE_INSTALL_STATUSES), requestedByUserId: nstr(),
    approvalId: nstr(), decisionReason: nstr(), decidedAt: ntime(), createdAt: time(), updatedAt: time(),
  }, ["id", "packageName", "version", "status", "createdAt", "updatedAt"]),
  ApprovalPolicy: obj({
    id: id("apl"), serviceCode: str(), actionName: str({ description: '"*": every action of the service' }), requiredApprovals: int({ minimum: 1, maximum: 3 }),
    createdByUserId: nstr(), createdAt: time(), updatedAt: time(),
  }, ["id", "serviceCode", "actionName", "requiredApprovals", "createdAt", "updatedAt"]),

  AuditEvent: obj({
    id: id("aud"), actorType: en(ACTOR_TYPES), actorId: nstr(), action: str(), targetType: nstr(), targetId: nstr(),
    result: en(AUDIT_RESULTS), message: nstr(), metadata: anyObj(), createdAt: time(),
  }, ["id", "actorType", "action", "result", "createdAt"]),

  DashboardSummary: obj({
    agentCounts: { type: "object", additionalProperties: { type: "integer" } },
    serviceCounts: { type: "object", additionalProperties: { type: "integer" } },
    commandCounts: { type: "object", additionalProperties: { type: "integer" } },
    recentCommands: { type: "array", items: ref("Command") },
    recentAuditEvents: { type: "array", items: ref("AuditEvent") },
    pendingApprovals: int({ minimum: 0, description: "Capstan addition: approval requests waiting for a reviewer" }),
    workspace: ref("Workspace"),
    auditEventCount: int({ minimum: 0, description: "Opstage v0.4: total audit events" }),
  }, ["agentCounts", "serviceCounts", "commandCounts", "workspace", "auditEventCount"]),
  Workspace: obj({ id: str(), code: str(), name: str(), status: str(), createdAt: time(), updatedAt: time() }, ["id", "code", "name", "status", "createdAt", "updatedAt"], {
    description: "Opstage v0.4: the one workspace (wks_default); Capstan has no others",
  }),
  MaintenanceSettings: obj({
    agentOfflineThresholdSeconds: int({ minimum: 1 }), auditRetentionDays: int({ minimum: 0 }), maintenanceIntervalSeconds: int({ minimum: 0 }),
  }, ["agentOfflineThresholdSeconds", "auditRetentionDays", "maintenanceIntervalSeconds"]),
  RuntimeDiagnostics: obj({
    version: str(), edition: en(["ce"]), node: str(), platform: str(), arch: str(), uptimeSeconds: int({ minimum: 0 }), pid: int(), memory: anyObj(),
    config: obj({
      host: str(), port: int(), databaseUrl: str({ description: "never with a password; sqlite:<file> for SQLite" }), backupDir: str(),
      maintenance: ref("MaintenanceSettings"), capsuleBusEnabled: bool(),
    }, ["host", "port", "databaseUrl", "backupDir", "maintenance", "capsuleBusEnabled"]),
  }, ["version", "edition", "node", "platform", "arch", "uptimeSeconds", "pid", "memory", "config"]),

  RegisterAgentResponse: obj({
    agentId: id("agt"), agentToken: str({ pattern: "^opstage_agent_" }), heartbeatIntervalSeconds: int(), commandPollIntervalSeconds: int(),
    services: { type: "array", items: obj({ code: str(), serviceId: id("svc") }, ["code", "serviceId"]) },
  }, ["agentId", "agentToken", "heartbeatIntervalSeconds", "commandPollIntervalSeconds"]),
  AgentHeartbeatResponse: obj({ heartbeatIntervalSeconds: int(), commandPollIntervalSeconds: int() }, ["heartbeatIntervalSeconds", "commandPollIntervalSeconds"]),
  ServiceReportResponse: obj({ services: { type: "array", items: obj({ code: str(), serviceId: id("svc") }, ["code", "serviceId"]) } }, ["services"]),
  CommandProgressResponse: obj({ cancelRequested: bool() }, ["cancelRequested"]),

  MessageReply: obj({ messageId: id("msg"), text: str(), format: en(REPLY_FORMATS), data: anyObj() }, ["messageId", "text", "format"]),
  ConversationMessage: obj({
    id: id("msg"), channel: en(MESSAGE_CHANNELS), conversationId: str(), sender: obj({ id: str(), name: str() }, ["id"]), type: en(MESSAGE_TYPES),
    text: str(), attachments: { type: "array", items: anyObj() }, receivedAt: time(), correlationId: str(), status: en(MESSAGE_STATUSES),
    routeId: nstr(), serviceId: nstr(), serviceCode: nstr(), commandId: nstr(), errorCode: nstr(), reply: ref("MessageReply"),
    answeredAt: ntime(), latencyMs: { type: ["integer", "null"] }, deliveredAt: ntime(),
  }, ["id", "channel", "conversationId", "sender", "type", "text", "receivedAt", "status"]),
  MessageAccepted: obj({ messageId: id("msg"), status: en(MESSAGE_STATUSES) }, ["messageId"]),
  MessageRoute: obj({
    id: id("mrt"), name: str(), priority: int(), status: en(MESSAGE_ROUTE_STATUSES), match: anyObj(), target: obj({ serviceCode: str() }, ["serviceCode"]),
    targetInfo: obj({ serviceId: nstr(), serviceName: nstr(), acceptsMessages: bool(), supportedTypes: { type: "array", items: en(MESSAGE_TYPES) } }),
    createdByUserId: nstr(), lastMatchedAt: ntime(), createdAt: time(), updatedAt: time(),
  }, ["id", "name", "priority", "status", "match", "target", "createdAt", "updatedAt"]),
  MessageRoutePreview: obj({ route: { oneOf: [ref("MessageRoute"), { type: "null" }] }, unroutedReply: nstr() }, ["route"]),
  TelegramChannel: obj({
    configured: bool(), enabled: bool(), allowedChatIds: { type: "array", items: int() }, botTokenSet: bool(), apiBaseUrl: str(),
    active: { type: "boolean", description: "this node is the active poller (holds the channel's advisory lock)" }, lastError: nstr(), updatedAt: ntime(),
  }, ["configured", "enabled", "allowedChatIds", "botTokenSet"]),
  BusRouteStatus: en(BUS_ROUTE_STATUSES),
  BusTrigger: obj({ eventType: str({ minLength: 1, maxLength: 120 }), sourceServiceCode: nstr({ description: "null: any source" }) }, ["eventType"]),
  BusAction: obj({
    targetServiceCode: str(), actionName: str(),
    payloadTemplate: { type: ["object", "null"], additionalProperties: true, description: 'JSON; a string that is exactly "{{event.data.a.b}}", "{{event.eventType}}", "{{event.sourceServiceCode}}" or "{{event.eventId}}" is replaced by that value' },
  }, ["targetServiceCode", "actionName"]),
  BusRoute: obj({
    id: id("brr"), name: str(), description: nstr(), status: ref("BusRouteStatus"), trigger: ref("BusTrigger"), action: ref("BusAction"),
    confirmed: bool(), confirmedAt: ntime(), confirmedByUserId: nstr(),
    target: obj({ serviceCode: str({ description: "Opstage v0.4" }), actionName: str({ description: "Opstage v0.4" }), serviceId: nstr(), actionFound: bool(), actionLabel: nstr(), dangerLevel: { oneOf: [ref("DangerLevel"), { type: "null" }] }, needsConfirmation: { type: ["boolean", "null"] } }),
    createdByUserId: nstr(), lastMatchedAt: ntime(), createdAt: time(), updatedAt: time(),
    match: obj({ eventType: str(), sourceServiceCode: nstr() }, ["eventType"], { description: "Opstage v0.4: the same as trigger" }),
    inputMapping: { type: "object", additionalProperties: true, description: "Opstage v0.4: the payload template ({} when none)" },
    metadata: anyObj(), experimental: str({ const: "v0.4-experimental" }),
  }, ["id", "name", "status", "trigger", "action", "confirmed", "createdAt", "updatedAt", "match", "target", "inputMapping", "experimental"]),
  BusRoutePreview: obj({
    matches: bool(), reasons: { type: "array", items: str() }, payload: anyObj(),
    problems: { type: "array", items: obj({ code: str(), message: str() }, ["code", "message"]) }, wouldCreateCommand: bool(),
  }, ["matches", "reasons", "payload", "problems", "wouldCreateCommand"]),
  BusMatch: obj({
    routeId: id("brr"), routeName: str(), status: en(LIVE_BUS_ROUTE_STATUSES), outcome: en(BUS_MATCH_OUTCOMES),
    commandId: id("cmd"), errorCode: str(), message: str(),
  }, ["routeId", "status", "outcome"]),
  BusEvent: obj({
    id: id("bev"), clientEventId: nstr(), eventType: str(), sourceServiceCode: str(), sourceServiceId: nstr(), agentId: nstr(),
    timestamp: ntime(), data: {}, metadata: anyObj(), outcome: en(BUS_EVENT_OUTCOMES),
    errorCode: nstr(), matchedRoutes: { type: "array", items: ref("BusMatch") }, commandIds: { type: "array", items: id("cmd") }, createdAt: time(),
    // Opstage v0.4 names
    payload: {}, correlationId: nstr(), causationId: nstr(), occurredAt: time(), acceptedAt: time(), routeCount: int({ minimum: 0 }), experimental: str(),
  }, ["id", "eventType", "sourceServiceCode", "outcome", "matchedRoutes", "commandIds", "createdAt"]),
  BusEventDetail: { allOf: [ref("BusEvent"), obj({ commands: { type: "array", items: ref("Command") } }, ["commands"])] },
  PublishBusEventResponse: obj({ eventId: id("bev"), matchedRoutes: { type: "array", items: ref("BusMatch") }, commandIds: { type: "array", items: id("cmd") } }, ["eventId", "matchedRoutes", "commandIds"]),
  WebhookEndpoint: obj({
    id: id("whe"), name: str(), url: str({ format: "uri" }), format: en(WEBHOOK_FORMATS), events: { type: "array", items: en(NOTIFICATION_EVENT_TYPES) },
    enabled: bool(), health: en(["HEALTHY", "FAILING", "DISABLED"]), disabledReason: nstr(), failingSince: ntime(), lastSuccessAt: ntime(),
    lastFailureAt: ntime(), createdAt: time(), updatedAt: time(),
  }, ["id", "name", "url", "format", "events", "enabled", "health", "createdAt", "updatedAt"]),
  WebhookEndpointCreated: { allOf: [ref("WebhookEndpoint"), obj({ secret: str({ pattern: "^whsec_", description: "shown once; store it to verify signatures" }) }, ["secret"])] },
  WebhookDelivery: obj({
    id: id("whd"), endpointId: id("whe"), messageId: id("msg"), eventType: str(), status: en(WEBHOOK_DELIVERY_STATUSES), attempts: int({ minimum: 0 }),
    nextAttemptAt: ntime(), createdAt: time(), lastAttemptAt: ntime(), responseStatus: { type: ["integer", "null"] },
    durationMs: { type: ["integer", "null"] }, error: nstr(), responseExcerpt: nstr({ description: "start of the response body, at most 1 KiB" }),
  }, ["id", "endpointId", "messageId", "eventType", "status", "attempts", "createdAt"]),

  SystemHealth: obj({
    status: en(SYSTEM_HEALTH_STATUSES), timestamp: time(), version: str(), edition: en(["ce"]),
    database: obj({ status: en(SYSTEM_HEALTH_STATUSES), kind: en(["sqlite", "postgres"]), latencyMs: int({ minimum: 0 }) }, ["status"]),
    uptimeSeconds: int({ minimum: 0 }),
  }, ["status", "timestamp", "version", "edition", "database"]),
  Manifest: anyObj(),
  AdminMetrics: obj({ totals: { type: "object", additionalProperties: { type: "integer" } }, byStatus: anyObj(), operational: anyObj() }, ["totals", "byStatus", "operational"]),
  Diagnostics: anyObj(),
  MaintenanceRun: anyObj(),
  SystemVersion: obj({ version: str(), edition: en(["ce"]), schemaVersion: int() }, ["version", "edition"]),

  ...PACKAGE_SCHEMAS,
  ...REQUEST_SCHEMAS,
};
