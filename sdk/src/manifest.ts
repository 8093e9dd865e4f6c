// What the agent reports about its service: the ReportedService of the contract, built from the
// options and the registered configs/actions. Sensitive config values never leave the process.
import { retryAttempts, retryBackoffSeconds } from "./executor.js";
import type { ActionDefinition, ConfigItem, HealthReport, JsonObject, MessageType, PackageRef, ServiceInfo } from "./types.js";

export interface ReportedService {
  code: string;
  name: string;
  description?: string;
  version: string;
  runtime: "nodejs";
  manifest: JsonObject;
  health?: HealthReport;
  configs: ConfigItem[];
  actions: JsonObject[];
}

export function buildReportedService(
  agentCode: string, info: ServiceInfo, configs: ConfigItem[], actions: Iterable<ActionDefinition>, health?: HealthReport,
  message?: { supportedTypes: MessageType[]; commands?: string[] }, pkg?: PackageRef,
): ReportedService {
  const code = info.code ?? agentCode;
  const name = info.name ?? code;
  const version = info.version ?? "0.0.0";
  const manifest: JsonObject = {
    kind: "CapsuleService", schemaVersion: "1.0", code, name, version, runtime: "nodejs", agentMode: "embedded",
    ...(info.description !== undefined ? { description: info.description } : {}),
    ...(info.capabilities ? { capabilities: info.capabilities } : {}),
    ...(info.labels ? { labels: info.labels } : {}),
    ...(info.events ? { events: info.events } : {}),
    ...(info.permissions ? { permissions: info.permissions } : {}),
    ...(message ? { message: { supportedTypes: message.supportedTypes, ...(message.commands ? { commands: message.commands } : {}) } } : {}),
    ...(pkg && { package: pkg }),
  };
  return {
    code, name, version, runtime: "nodejs", manifest,
    ...(info.description !== undefined ? { description: info.description } : {}),
    ...(health ? { health } : {}),
    configs: configs.map(safeConfig),
    actions: [...actions].map(actionToWire),
  };
}

/** Sensitive items keep their metadata and secretRef; their value and default stay here. */
function safeConfig(c: ConfigItem): ConfigItem {
  if (!c.sensitive) return { ...c };
  const { valuePreview: _v, defaultValue: _d, ...rest } = c;
  return rest;
}

function actionToWire(a: ActionDefinition): JsonObject {
  return {
    name: a.name, label: a.label, dangerLevel: a.dangerLevel ?? "LOW", requiresConfirmation: a.requiresConfirmation ?? false,
    ...(a.description !== undefined ? { description: a.description } : {}),
    ...(a.requiresApproval ? { requiresApproval: true } : {}),
    ...(a.inputSchema ? { inputSchema: a.inputSchema } : {}),
    ...(a.retry ? { timeoutSeconds: commandBudgetSeconds(a) } : a.timeoutSeconds !== undefined ? { timeoutSeconds: a.timeoutSeconds } : {}),
  };
}

/**
 * A retrying action's attempts run inside one command, and the server expires a RUNNING command after
 * its timeoutSeconds (plus a grace): report the whole budget, every attempt and backoff.
 */
function commandBudgetSeconds(a: ActionDefinition): number {
  const n = retryAttempts(a.retry);
  return Math.min(86_400, Math.ceil(n * (a.timeoutSeconds ?? 300) + (n - 1) * retryBackoffSeconds(a.retry)));
}

/** A prepare answer for actions without `prepare`: the `default`s of the input schema. */
export function defaultsFromSchema(schema: JsonObject | undefined, depth = 0): JsonObject {
  const out: JsonObject = {};
  const props = schema?.properties;
  if (!props || typeof props !== "object" || depth > 8) return out;
  for (const [key, prop] of Object.entries(props as Record<string, JsonObject>)) {
    if (!prop || typeof prop !== "object") continue;
    if ("default" in prop) out[key] = prop.default;
    else if (prop.type === "object" && prop.properties) {
      const nested = defaultsFromSchema(prop, depth + 1);
      if (Object.keys(nested).length > 0) out[key] = nested;
    }
  }
  return out;
}
