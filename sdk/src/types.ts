// Public types of the SDK: options, manifest pieces, handlers and their context.
export type HealthStatus = "UP" | "DEGRADED" | "DOWN" | "UNKNOWN";
export type DangerLevel = "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";
export type LogLevel = "debug" | "info" | "warn" | "error";
export type JsonObject = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: JsonObject): void;
  info(message: string, fields?: JsonObject): void;
  warn(message: string, fields?: JsonObject): void;
  error(message: string, fields?: JsonObject): void;
}

export interface HealthReport {
  status: HealthStatus;
  message?: string;
  details?: JsonObject;
}

export interface ConfigItem {
  key: string;
  type: string;
  label?: string;
  source?: string;
  editable?: boolean;
  sensitive?: boolean;
  /** Never sent for sensitive items: the SDK drops it before reporting. */
  valuePreview?: string;
  defaultValue?: string;
  secretRef?: string;
}

export interface ActionError {
  code: string;
  message: string;
  details?: JsonObject;
}

export interface ActionResult {
  success: boolean;
  message?: string;
  data?: JsonObject;
  error?: ActionError;
}

/**
 * The execution trace the SDK reports with every result. CPU is the host process's (every thread,
 * so an isolated run's Worker counts) during the command; peakHeapMb is the Worker's committed heap
 * (isolated runs only).
 */
export interface RunMetrics {
  attempts: number;
  durationMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  peakHeapMb?: number;
}

/**
 * Run the handler in a pooled worker_threads Worker with a heap limit. The module (a path, absolute
 * or relative to the working directory, or a file: URL) exports the handler as `default`:
 * `export default async (payload, ctx) => {...}`; ctx has commandId, actionName, payload, signal,
 * progress and log (bridged to the host). timeoutSeconds terminates the Worker.
 */
export interface IsolateOptions {
  module: string | URL;
  /** Old-generation heap limit; past it the run fails ACTION_OUT_OF_MEMORY. Default 256. */
  memoryMb?: number;
  /** Warm Workers kept for this action (more concurrent runs start Workers that are not kept). Default 1. */
  maxWorkers?: number;
  /** A Worker is replaced after this many runs. Default 100. */
  recycleAfter?: number;
}

/** Declaring `retry` declares the action idempotent: a failed attempt whose code is in `on` runs again. */
export interface RetryPolicy {
  /** 1..5 attempts in all. */
  maxAttempts: number;
  /** Wait between attempts. Default 1. */
  backoffSeconds?: number;
  /** Error codes that are retried. Default ["ACTION_TIMEOUT", "ACTION_FAILED"]. */
  on?: string[];
}

export interface ActionContext<P = JsonObject> {
  commandId: string;
  actionName: string;
  payload: P;
  /** Aborted on timeout, on a cancel from the console/API, or when the agent stops. `signal.reason` says which. */
  signal: AbortSignal;
  /** percent in 0..1, sent to the server with the next progress flush. */
  progress(percent: number, message?: string): void;
  log(level: LogLevel, message: string): void;
}

export type PrepareContext<P = JsonObject> = Pick<ActionContext<P>, "commandId" | "actionName" | "payload" | "signal">;

export interface PrepareResult {
  initialPayload?: JsonObject;
  currentState?: JsonObject;
}

export interface ActionDefinition<P = any> {
  name: string;
  label: string;
  description?: string;
  dangerLevel?: DangerLevel;
  requiresConfirmation?: boolean;
  /** Four-eyes: every run waits for another person's approval in Capstan before it reaches this agent. */
  requiresApproval?: boolean;
  /** Per attempt: the handler's signal is aborted after this (an isolated Worker terminated) and the attempt fails ACTION_TIMEOUT. Default 300. */
  timeoutSeconds?: number;
  inputSchema?: JsonObject;
  prepare?: (ctx: PrepareContext<P>) => PrepareResult | Promise<PrepareResult>;
  /** Return an ActionResult, or any other value (it becomes `{success:true, data}`), or throw. Either this or `isolate`. */
  handler?: (payload: P, ctx: ActionContext<P>) => unknown;
  /** Run the handler of this module in a Worker instead (hard timeout, heap limit). */
  isolate?: IsolateOptions;
  /** Retry failed attempts (only for idempotent actions). */
  retry?: RetryPolicy;
}

export type MessageType = "QUERY" | "COMMAND" | "EVENT";

/** A conversation message Capstan routed to this service (a MESSAGE command). */
export interface IncomingMessage {
  id: string;
  channel: string;
  conversationId: string;
  sender: { id: string; name?: string };
  type: MessageType;
  text: string;
  attachments?: { kind: string; url?: string; name?: string }[];
  correlationId?: string;
  receivedAt?: string;
}

export interface MessageContext {
  commandId: string;
  /** Aborted on timeout, cancel or stop, as for actions. */
  signal: AbortSignal;
  log(level: LogLevel, message: string): void;
}

/** What a message handler returns: the reply (a plain string is `{text}`). */
export interface MessageReply {
  text: string;
  format?: "text" | "markdown";
  data?: JsonObject;
}

export type MessageHandler = (message: IncomingMessage, ctx: MessageContext) => MessageReply | string | Promise<MessageReply | string>;

export interface MessageOptions {
  /** Declared in the manifest; Capstan routes only these types here. Default all three. */
  supportedTypes?: MessageType[];
  /** Slash commands the service answers, e.g. ["/status"] (declared in the manifest). */
  commands?: string[];
  /** The handler's signal is aborted after this. Default 60. */
  timeoutSeconds?: number;
}

export interface ServiceInfo {
  /** Defaults to the agent code. */
  code?: string;
  name?: string;
  version?: string;
  description?: string;
  capabilities?: (string | { name: string; label?: string; description?: string })[];
  labels?: Record<string, string>;
  events?: { name: string; direction: "publish" | "subscribe"; description?: string; schema?: JsonObject }[];
  permissions?: { name: string; description?: string }[];
}

/** The Capsule Package a service runs (manifest.package, catalog.md). */
export interface PackageRef {
  name: string;
  version: string;
  /** The artifact's digest, "sha256:<hex>". */
  digest?: string;
}

export interface TokenRecord {
  agentId: string;
  agentToken: string;
  backendUrl: string;
  savedAt: string;
}

export interface TokenStore {
  load(): Promise<TokenRecord | null>;
  save(record: TokenRecord): Promise<void>;
  clear(): Promise<void>;
}

export interface CapsuleAgentOptions {
  /** Capstan base URL. Default: env CAPSTAN_URL. */
  backendUrl?: string;
  /** Only needed until a token is stored. Default: env CAPSTAN_REGISTRATION_TOKEN. */
  registrationToken?: string;
  /** Where the agent token is kept (JSON, mode 0600). Default: env CAPSTAN_AGENT_TOKEN_FILE or ./data/agent-token.json. */
  tokenFile?: string;
  /** Replaces the token file (e.g. a secrets manager). */
  tokenStore?: TokenStore;
  agent: { code: string; name?: string };
  service?: ServiceInfo;
  /** Default: warnings and errors to the console, prefixed "[capstan-agent]". */
  logger?: Logger;
  /** The package reported as manifest.package. Default: read from capsuleFile; false: none. */
  package?: PackageRef | false;
  /** The host's package descriptor. Default ./capsule.json (from process.cwd()); a missing default file is not an error. */
  capsuleFile?: string;
  /** Commands run at the same time. Default 1. */
  concurrency?: number;
  /** Long-poll for commands (delivery within milliseconds). Default true; false = interval polling. */
  longPoll?: boolean;
  /** Long-poll wait per request, 1..30 s. Default 25. */
  longPollSeconds?: number;
  /** Timeout of one HTTP request (long polls add their wait). Default 10000. */
  requestTimeoutMs?: number;
  /** Reconnect backoff with full jitter: base doubling up to max. Default 1000 / 60000. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** How often running commands flush progress and learn about cancels. Default 500. */
  progressIntervalMs?: number;
  /** After a cancel, how long the handler may take to return its own result. Default 2000. */
  cancelGraceMs?: number;
  /** stop(): how long running handlers may take to finish. Default 10000. */
  stopGraceMs?: number;
  /** Heartbeat interval while the agent is DISABLED. Default 60. */
  disabledHeartbeatSeconds?: number;
  /** Health callback time limit. Default 5000. */
  healthTimeoutMs?: number;
  /** Undelivered results kept in memory across outages. Default 100. */
  maxPendingResults?: number;
  /** Seams for tests and unusual hosts. */
  fetch?: typeof fetch;
  now?: () => Date;
}

export interface PublishEventInput {
  eventType: string;
  data?: unknown;
  eventId?: string;
  timestamp?: string;
  metadata?: { correlationId?: string; causationId?: string };
}

export type PublishEventResult =
  | { ok: true; eventId: string; matchedRoutes: unknown; commandIds: string[] }
  | { ok: false; error: Error };

export type AgentState = "idle" | "starting" | "connecting" | "running" | "disabled" | "stopped";
