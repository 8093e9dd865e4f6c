// Inputs about capsule services: what agents report (bounded, unknown manifest fields kept) and admin list queries.
import { z } from "zod";
import { AGENT_MODES, DANGER_LEVELS, EFFECTIVE_SERVICE_STATUSES, HEALTH_STATUSES, MESSAGE_TYPES } from "../vocabulary.js";
import { idOf, page, pageSize, q, sortParam } from "./common.js";

export const serviceCode = z.string().min(1).max(80).regex(/^[a-z0-9][a-z0-9_-]*$/, "lowercase letters, digits, _ and -, starting with a letter or digit");
/** Action names appear in URLs (/actions/:actionName), so they stay URL-safe. */
export const actionName = z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, "letters, digits, _ . : and -");
const text = (max: number) => z.string().max(max);
/** Free JSON objects from agents: bounded by the body limit, the JSON depth limit and the 256 KiB manifest rule. */
const jsonObject = z.record(z.string().max(200), z.unknown());
/** Config values are shown as text; agents sometimes send numbers or booleans. */
const previewValue = z.union([z.string().max(2000), z.number(), z.boolean()]).nullable().transform((v) => (v === null ? null : String(v)));

export const HealthInput = z.object({
  status: z.enum(HEALTH_STATUSES),
  message: text(2000).optional(),
  details: jsonObject.optional(),
});

export const ConfigItemInput = z.object({
  key: z.string().min(1).max(200),
  label: text(200).optional(),
  type: z.string().min(1).max(60),
  source: text(200).optional(),
  editable: z.boolean().optional(),
  sensitive: z.boolean().optional(),
  valuePreview: previewValue.optional(),
  defaultValue: previewValue.optional(),
  secretRef: text(500).optional(),
});

export const ActionDefinitionInput = z.object({
  name: actionName,
  label: z.string().min(1).max(200).optional(),
  description: text(2000).optional(),
  dangerLevel: z.enum(DANGER_LEVELS).default("LOW"),
  requiresConfirmation: z.boolean().default(false),
  /** Four-eyes: every execution waits for another person's approval (governance.md). */
  requiresApproval: z.boolean().default(false),
  enabled: z.boolean().default(true),
  inputSchema: jsonObject.optional(),
  timeoutSeconds: z.number().int().min(1).max(86_400).optional(),
});

const uniqueBy = <T>(items: T[] | undefined, key: (t: T) => string): boolean =>
  !items || new Set(items.map(key)).size === items.length;

const capability = z.union([
  z.string().min(1).max(200),
  z.looseObject({ name: z.string().min(1).max(200), label: text(200).optional(), description: text(2000).optional() }),
]);

/** What a service emits or listens to on the Capsule Bus (metadata: routes are configured by operators). */
const eventDeclaration = z.looseObject({
  name: z.string().min(1).max(120),
  direction: z.enum(["publish", "subscribe"]),
  description: text(2000).optional(),
  schema: jsonObject.optional(),
});

/** Declarative only: what the service says it needs. A bare string is accepted like a capability. */
const permission = z.union([
  z.string().min(1).max(200),
  z.looseObject({ name: z.string().min(1).max(200), description: text(2000).optional() }),
]);

const nameOf = (v: string | { name: string }): string => (typeof v === "string" ? v : v.name);

/** What conversation messages the service answers (domain/messages): nothing reaches a service that does not declare it. */
const messageSupport = z.looseObject({
  supportedTypes: z.array(z.enum(MESSAGE_TYPES)).min(1).max(MESSAGE_TYPES.length),
  commands: z.array(z.string().regex(/^\/[A-Za-z0-9_]{1,64}$/, "a slash command like /status")).max(100).optional(),
});

/** Manifest: the listed fields are checked, everything else is kept as sent (forward compatibility). */
export const CapsuleManifest = z.looseObject({
  kind: z.literal("CapsuleService").optional(),
  schemaVersion: text(20).optional(),
  code: serviceCode,
  name: z.string().min(1).max(200),
  description: text(2000).optional(),
  version: z.string().min(1).max(80).optional(),
  runtime: z.string().min(1).max(40).optional(),
  agentMode: z.enum(AGENT_MODES).optional(),
  capabilities: z.array(capability).max(200).refine((l) => uniqueBy(l, nameOf), { message: "capability names must be unique" }).optional(),
  events: z.array(eventDeclaration).max(200).refine((l) => uniqueBy(l, (e) => `${e.direction} ${e.name}`), { message: "each event is declared once per direction" }).optional(),
  permissions: z.array(permission).max(200).refine((l) => uniqueBy(l, nameOf), { message: "permission names must be unique" }).optional(),
  labels: z.record(z.string().max(100), z.string().max(500)).optional(),
  message: messageSupport.optional(),
});

export const ReportedService = z
  .object({
    code: serviceCode,
    name: z.string().min(1).max(200),
    description: text(2000).optional(),
    version: text(80).optional(),
    runtime: z.string().min(1).max(40).optional(),
    // Checked against CapsuleManifest in the domain, so a bad manifest answers CAPSULE_SERVICE_MANIFEST_INVALID.
    manifest: jsonObject,
    health: HealthInput.optional(),
    configs: z.array(ConfigItemInput).max(500).optional(),
    actions: z.array(ActionDefinitionInput).max(200).optional(),
  })
  .refine((s) => uniqueBy(s.configs, (c) => c.key), { message: "config keys must be unique", path: ["configs"] })
  .refine((s) => uniqueBy(s.actions, (a) => a.name), { message: "action names must be unique", path: ["actions"] });

export const ServiceReportBody = z.object({
  services: z.array(ReportedService).min(1).max(50)
    .refine((list) => uniqueBy(list, (s) => s.code), { message: "service codes must be unique" }),
});

export const HeartbeatBody = z.object({
  serviceId: idOf("svc").optional(),
  health: HealthInput.optional(),
});

export type HealthInputT = z.output<typeof HealthInput>;
export type ReportedServiceT = z.output<typeof ReportedService>;

export const SERVICE_SORT_FIELDS = ["createdAt", "lastReportedAt", "code", "name"] as const;

export const ListServicesQuery = {
  page, pageSize,
  sort: sortParam(SERVICE_SORT_FIELDS),
  status: z.array(z.enum(EFFECTIVE_SERVICE_STATUSES)).optional(),
  healthStatus: z.array(z.enum(HEALTH_STATUSES)).optional(),
  agentId: z.array(idOf("agt")).optional(),
  q: q.optional(),
  capability: z.string().min(1).max(200).optional(),
};
export const LIST_SERVICES_ARRAYS = ["status", "healthStatus", "agentId"] as const;
