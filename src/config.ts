// The one place configuration is defined: a zod schema over the environment, parsed once in bin/.
import { isIP } from "node:net";
import { z } from "zod";
import { parseKeyText } from "./secrets/keyText.js";
import { PACKAGE_POLICIES, type PackagePolicy } from "./vocabulary.js";

const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

// parsed here so a bad key stops startup as a ConfigError; the message never contains the value
const secretKey = z.string().transform((v, ctx) => {
  const r = parseKeyText(v);
  if (r.ok) return r.key;
  ctx.addIssue({ code: "custom", message: r.message });
  return z.NEVER;
});

// "10.0.0.0/8, 127.0.0.1/32, fd00::/8": webhook targets allowed although private (domain/notifications/egress.ts)
const cidrList = z.string().transform((v, ctx) => {
  const out: string[] = [];
  for (const item of v.split(",").map((x) => x.trim()).filter(Boolean)) {
    const [addr, prefix, extra] = item.split("/");
    const family = isIP(addr ?? "");
    const max = family === 4 ? 32 : 128;
    if (!family || extra !== undefined || !/^\d{1,3}$/.test(prefix ?? "") || Number(prefix) > max) {
      ctx.addIssue({ code: "custom", message: `"${item.slice(0, 60)}" is not a CIDR like 10.0.0.0/8 or fd00::/8` });
      return z.NEVER;
    }
    out.push(`${addr}/${Number(prefix)}`);
  }
  return out;
});

const EnvSchema = z.object({
  CAPSTAN_HOST: z.string().min(1).default("127.0.0.1"),
  CAPSTAN_PORT: int(0, 65535).default(8080),
  CAPSTAN_DATA_DIR: z.string().min(1).default("./data"),
  // unset: the embedded SQLite file in CAPSTAN_DATA_DIR; set: several nodes share one PostgreSQL database
  CAPSTAN_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/\S+$/, "must be a postgres:// or postgresql:// URL").optional(),
  CAPSTAN_DATABASE_POOL_SIZE: int(1, 500).default(10),
  CAPSTAN_PUBLIC_URL: z.url().optional(),
  CAPSTAN_TRUST_PROXY: bool.default(false),
  CAPSTAN_HEARTBEAT_INTERVAL_SECONDS: int(1, 3600).default(30),
  CAPSTAN_COMMAND_POLL_INTERVAL_SECONDS: int(1, 3600).default(5),
  CAPSTAN_AGENT_OFFLINE_THRESHOLD_SECONDS: int(2, 86400).default(90),
  CAPSTAN_HEALTH_STALE_THRESHOLD_SECONDS: int(1, 86400).default(120),
  CAPSTAN_COMMAND_TTL_SECONDS: int(30, 86400).default(300),
  // how long an SDK agent has to confirm a claimed command (first progress or result) before it is
  // delivered again once; 0 turns leases off. The SDKs confirm within about a second.
  CAPSTAN_DELIVERY_LEASE_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  // how long a four-eyes approval request waits for its reviewers before it (and its command) expires
  CAPSTAN_APPROVAL_TTL_SECONDS: int(60, 604800).default(3600),
  // which package versions may run (catalog.md): enforce quarantines a service whose version is not approved for its agent
  CAPSTAN_PACKAGE_POLICY: z.enum(PACKAGE_POLICIES).default("warn"),
  CAPSTAN_PREPARE_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(300).default(15),
  CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: int(0, 86400).default(30),
  CAPSTAN_AUDIT_RETENTION_DAYS: int(0, 36500).default(90),
  CAPSTAN_SESSION_TTL_SECONDS: int(60, 30 * 86400).default(28800),
  CAPSTAN_BODY_LIMIT_BYTES: int(1024, 64 * 1024 * 1024).default(1048576),
  CAPSTAN_METRICS: z.enum(["off", "public", "token"]).default("off"),
  CAPSTAN_BUS_ENABLED: bool.default(false),
  CAPSTAN_BUS_INGEST_PER_MIN: int(1, 100000).default(60),
  CAPSTAN_MESSAGES_ENABLED: bool.default(false),
  // the package registry (/registry/v1): readable without a session or token, and its signing keys' lifetime
  CAPSTAN_REGISTRY_PUBLIC: bool.default(false),
  CAPSTAN_REGISTRY_KEY_DAYS: int(1, 3650).default(365),
  CAPSTAN_MESSAGES_PER_MIN: int(1, 100000).default(120),
  CAPSTAN_MESSAGES_PER_SENDER_PER_MIN: int(1, 100000).default(20),
  CAPSTAN_MESSAGES_UNROUTED_REPLY: z.string().min(1).max(1000).default("Sorry, nothing here can answer that yet."),
  // the only host the Telegram channel ever calls (tests point it at a local fake Bot API)
  CAPSTAN_TELEGRAM_API_URL: z.url().regex(/^https?:\/\//, "must be an http(s) URL").default("https://api.telegram.org"),
  CAPSTAN_TELEGRAM_POLL_SECONDS: int(0, 50).default(25),
  CAPSTAN_TELEGRAM_BACKOFF_BASE_MS: int(10, 60_000).default(1000),
  // tests only: a pause between storing an update's message and storing the update offset, the
  // window a kill -9 test aims at (test/messages/telegramCrash.test.ts)
  CAPSTAN_TELEGRAM_OFFSET_DELAY_MS: int(0, 60_000).default(0),
  CAPSTAN_LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  CAPSTAN_LOG_FORMAT: z.enum(["pretty", "json"]).optional(),
  CAPSTAN_ADMIN_USERNAME: z.string().min(1).max(320).optional(),
  CAPSTAN_ADMIN_PASSWORD: z.string().min(12, "must be at least 12 characters").max(1024).optional(),
  CAPSTAN_MAX_LONG_POLLS_PER_AGENT: int(1, 1000).default(4),
  CAPSTAN_SECRET_KEY: secretKey.optional(),
  CAPSTAN_WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  CAPSTAN_WEBHOOK_ALLOWED_CIDRS: cidrList.default([]),
  CAPSTAN_WEBHOOK_DELIVERY_INTERVAL_SECONDS: z.coerce.number().min(0).max(60).default(1),
  CAPSTAN_WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(60).default(10),
});

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** postgres://… when the database is PostgreSQL; undefined = SQLite at <dataDir>/capstan.db. */
  databaseUrl: string | undefined;
  /** PostgreSQL connections per node (each is a backend process on the database server). */
  databasePoolSize: number;
  publicUrl: string | undefined;
  trustProxy: boolean;
  heartbeatIntervalSeconds: number;
  commandPollIntervalSeconds: number;
  agentOfflineThresholdSeconds: number;
  healthStaleThresholdSeconds: number;
  commandTtlSeconds: number;
  deliveryLeaseSeconds: number;
  approvalTtlSeconds: number;
  packagePolicy: PackagePolicy;
  prepareTimeoutSeconds: number;
  maintenanceIntervalSeconds: number;
  auditRetentionDays: number;
  sessionTtlSeconds: number;
  bodyLimitBytes: number;
  metrics: "off" | "public" | "token";
  busEnabled: boolean;
  busIngestPerMin: number;
  messagesEnabled: boolean;
  /** /registry/v1 answers without a session or API token. */
  registryPublic: boolean;
  /** Lifetime of a registry signing key; it is rotated automatically before it expires. */
  registryKeyDays: number;
  /** Per channel and per sender, fixed one-minute windows counted in the database (auth/limits.ts). */
  messagesPerMin: number;
  messagesPerSenderPerMin: number;
  /** What an unrouted message is answered. */
  messagesUnroutedReply: string;
  /** Bot API base URL (no trailing slash): the Telegram channel's only egress. */
  telegramApiUrl: string;
  /** getUpdates long-poll timeout (0: short polls, for tests). */
  telegramPollSeconds: number;
  /** First retry delay after a Bot API error (doubles up to 60 s; the API's retry_after wins). */
  telegramBackoffBaseMs: number;
  /** Tests only: pause between storing a message and storing the update offset. */
  telegramOffsetDelayMs: number;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  logFormat: "pretty" | "json" | undefined;
  adminUsername: string | undefined;
  adminPassword: string | undefined;
  maxLongPollsPerAgent: number;
  /** AES-256-GCM key for stored one-time secrets (src/secrets); never log or serialise it. Absent: see loadSecretKey. */
  secretKey: Buffer | undefined;
  /** Webhook egress: special-purpose (private, loopback, link-local…) targets allowed, or only these CIDRs. */
  webhookAllowPrivate: boolean;
  webhookAllowedCidrs: string[];
  /** How often this node looks for due webhook deliveries; 0: this node delivers none. */
  webhookDeliveryIntervalSeconds: number;
  /** One delivery attempt's time limit (connect, send, read). */
  webhookTimeoutSeconds: number;
  /** Opstage CE environment names that stood in for ours (or were overridden by ours). */
  envAliases: EnvAliases;
  /** Fixed limits of the contract, kept here so tests can see them. */
  commandResultMaxBytes: number;
  manifestMaxBytes: number;
}

export class ConfigError extends Error {}

/**
 * Opstage CE's names for settings that mean the same here (upstream-v04 section 5). Ours win when
 * both are set; `envAliases` in the Config says which were used and which were overridden, and the
 * server says so at start.
 */
export const OPSTAGE_ENV_ALIASES: Readonly<Record<string, string>> = {
  OPSTAGE_HOST: "CAPSTAN_HOST",
  OPSTAGE_PORT: "CAPSTAN_PORT",
  OPSTAGE_ADMIN_USERNAME: "CAPSTAN_ADMIN_USERNAME",
  OPSTAGE_ADMIN_PASSWORD: "CAPSTAN_ADMIN_PASSWORD",
  OPSTAGE_SESSION_TTL_SECONDS: "CAPSTAN_SESSION_TTL_SECONDS",
  OPSTAGE_CAPSULE_BUS_ENABLED: "CAPSTAN_BUS_ENABLED",
  OPSTAGE_CAPSULE_BUS_INGEST_PER_MIN: "CAPSTAN_BUS_INGEST_PER_MIN",
};

export interface EnvAliases {
  /** alias -> our name it stood in for */
  used: { alias: string; name: string }[];
  /** aliases set beside our own name, which won */
  overridden: { alias: string; name: string }[];
}

function applyAliases(env: Record<string, string>): { env: Record<string, string>; aliases: EnvAliases } {
  const out = { ...env };
  const aliases: EnvAliases = { used: [], overridden: [] };
  for (const [alias, name] of Object.entries(OPSTAGE_ENV_ALIASES)) {
    if (env[alias] === undefined) continue;
    if (env[name] !== undefined) aliases.overridden.push({ alias, name });
    else {
      out[name] = env[alias];
      aliases.used.push({ alias, name });
    }
    delete out[alias];
  }
  return { env: out, aliases };
}

/** Parses the environment (or any string map). Throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = {}): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== "")) as Record<string, string>;
  const { env: named, aliases } = applyAliases(cleaned);
  const parsed = EnvSchema.safeParse(named);
  if (!parsed.success) {
    // a bad value that came in under an Opstage name is reported under that name
    const shown = (name: string) => aliases.used.find((a) => a.name === name)?.alias ?? name;
    const lines = parsed.error.issues.map((i) => `  ${shown(String(i.path[0]))}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  if (e.CAPSTAN_AGENT_OFFLINE_THRESHOLD_SECONDS < 2 * e.CAPSTAN_HEARTBEAT_INTERVAL_SECONDS) {
    throw new ConfigError(
      "invalid configuration:\n  CAPSTAN_AGENT_OFFLINE_THRESHOLD_SECONDS: must be at least 2 x CAPSTAN_HEARTBEAT_INTERVAL_SECONDS",
    );
  }
  return {
    host: e.CAPSTAN_HOST,
    port: e.CAPSTAN_PORT,
    dataDir: e.CAPSTAN_DATA_DIR,
    databaseUrl: e.CAPSTAN_DATABASE_URL,
    databasePoolSize: e.CAPSTAN_DATABASE_POOL_SIZE,
    publicUrl: e.CAPSTAN_PUBLIC_URL?.replace(/\/+$/, ""),
    trustProxy: e.CAPSTAN_TRUST_PROXY,
    heartbeatIntervalSeconds: e.CAPSTAN_HEARTBEAT_INTERVAL_SECONDS,
    commandPollIntervalSeconds: e.CAPSTAN_COMMAND_POLL_INTERVAL_SECONDS,
    agentOfflineThresholdSeconds: e.CAPSTAN_AGENT_OFFLINE_THRESHOLD_SECONDS,
    healthStaleThresholdSeconds: e.CAPSTAN_HEALTH_STALE_THRESHOLD_SECONDS,
    commandTtlSeconds: e.CAPSTAN_COMMAND_TTL_SECONDS,
    deliveryLeaseSeconds: e.CAPSTAN_DELIVERY_LEASE_SECONDS,
    approvalTtlSeconds: e.CAPSTAN_APPROVAL_TTL_SECONDS,
    packagePolicy: e.CAPSTAN_PACKAGE_POLICY,
    prepareTimeoutSeconds: e.CAPSTAN_PREPARE_TIMEOUT_SECONDS,
    maintenanceIntervalSeconds: e.CAPSTAN_MAINTENANCE_INTERVAL_SECONDS,
    auditRetentionDays: e.CAPSTAN_AUDIT_RETENTION_DAYS,
    sessionTtlSeconds: e.CAPSTAN_SESSION_TTL_SECONDS,
    bodyLimitBytes: e.CAPSTAN_BODY_LIMIT_BYTES,
    metrics: e.CAPSTAN_METRICS,
    busEnabled: e.CAPSTAN_BUS_ENABLED,
    busIngestPerMin: e.CAPSTAN_BUS_INGEST_PER_MIN,
    messagesEnabled: e.CAPSTAN_MESSAGES_ENABLED,
    registryPublic: e.CAPSTAN_REGISTRY_PUBLIC,
    registryKeyDays: e.CAPSTAN_REGISTRY_KEY_DAYS,
    messagesPerMin: e.CAPSTAN_MESSAGES_PER_MIN,
    messagesPerSenderPerMin: e.CAPSTAN_MESSAGES_PER_SENDER_PER_MIN,
    messagesUnroutedReply: e.CAPSTAN_MESSAGES_UNROUTED_REPLY,
    telegramApiUrl: e.CAPSTAN_TELEGRAM_API_URL.replace(/\/+$/, ""),
    telegramPollSeconds: e.CAPSTAN_TELEGRAM_POLL_SECONDS,
    telegramBackoffBaseMs: e.CAPSTAN_TELEGRAM_BACKOFF_BASE_MS,
    telegramOffsetDelayMs: e.CAPSTAN_TELEGRAM_OFFSET_DELAY_MS,
    logLevel: e.CAPSTAN_LOG_LEVEL,
    logFormat: e.CAPSTAN_LOG_FORMAT,
    adminUsername: e.CAPSTAN_ADMIN_USERNAME,
    adminPassword: e.CAPSTAN_ADMIN_PASSWORD,
    maxLongPollsPerAgent: e.CAPSTAN_MAX_LONG_POLLS_PER_AGENT,
    secretKey: e.CAPSTAN_SECRET_KEY,
    webhookAllowPrivate: e.CAPSTAN_WEBHOOK_ALLOW_PRIVATE,
    webhookAllowedCidrs: e.CAPSTAN_WEBHOOK_ALLOWED_CIDRS,
    webhookDeliveryIntervalSeconds: e.CAPSTAN_WEBHOOK_DELIVERY_INTERVAL_SECONDS,
    webhookTimeoutSeconds: e.CAPSTAN_WEBHOOK_TIMEOUT_SECONDS,
    commandResultMaxBytes: 1_000_000,
    manifestMaxBytes: 256 * 1024,
    envAliases: aliases,
  };
}
