// In-memory state of one server process. Nothing here is needed to recover after a restart:
// it holds waiters, buffers and counters. (One-time secrets live sealed in command_secrets; limits in limiter_windows.)
import { randomBytes } from "node:crypto";
import type { Registry } from "prom-client";
import type { FlashEntry } from "./console/flash.js";
import { CommandHub } from "./domain/hub.js";
import { AuthFailures } from "./auth/failures.js";
import { ReadCache } from "./readCache.js";
import type { AgentTokenLookup } from "./db/agentTokens.js";
import type { ServiceHealthFacts } from "./db/services.js";
import type { FirstContact } from "./domain/firstContacts.js";

export interface OperationalCounters {
  agentCommandPolls: number;
  oversizedCommandResultsRejected: number;
  actionPrepareTimeouts: number;
  heartbeatsReceived: number;
  /** Heartbeats whose health equalled the stored one, so no health write (domain/healthSeen.ts). */
  healthWritesCoalesced: number;
  auditEventsWritten: number;
  httpRequests: number;
  /** Passwords actually checked by login (argon2 verify), throttled attempts excluded. */
  loginPasswordChecks: number;
  /** Cross-node wake-ups (domain/wakeups.ts): NOTIFYs sent, other nodes' received, this node's own heard back. */
  wakeupsSent: number;
  wakeupsReceived: number;
  wakeupsOwn: number;
  /** Times the wake-up listener lost its connection and re-established it (every wait re-checked). */
  wakeupReconnects: number;
  /** Scheduled maintenance runs this node ran, and scheduled runs it left to the node holding the lock. */
  maintenanceRuns: number;
  maintenanceSkipped: number;
}

/** The maintenance scheduler of this process (domain/maintenance.ts). */
export interface MaintenanceSchedule {
  /** Runs are serialised through this chain so two never overlap. */
  chain: Promise<unknown>;
  timer?: NodeJS.Timeout;
  stopped: boolean;
  /** Set while the scheduler runs: the next scheduled run after the (changed) interval from now. */
  reschedule?: () => void;
}

/** The webhook delivery worker of this process (domain/notifications/worker.ts). */
export interface WebhookWorker {
  timer?: NodeJS.Timeout;
  stopped: boolean;
  /** Endpoints this process is delivering to now (each holds the endpoint's lease in the database). */
  lanes: Map<string, Promise<void>>;
  /** Aborts attempts in flight at shutdown (their lease runs out; the message is retried, at least once). */
  abort: AbortController;
  /** Attempts made by this process, and how many failed. */
  attempts: number;
  failures: number;
}

/** The Telegram channel's poller on this node (domain/messages/telegram/poller.ts). */
export interface TelegramPoller {
  /** Aborted on shutdown: ends the long poll and every wait at once. */
  stop: AbortController;
  /** The two loops (updates, replies) while they run. */
  loops: Promise<void>[];
  /** Whether this node holds the channel's advisory lock (one active poller across nodes). */
  active: boolean;
  /** The last Bot API or network error (bot token scrubbed), for the console; null after a success. */
  lastError: string | null;
  /** Calls made to the Bot API and failures, for metrics and tests. */
  calls: number;
  failures: number;
}

export interface Runtime {
  /** This process among the nodes sharing a database (recognises its own cross-node wake-ups). */
  nodeId: string;
  hub: CommandHub;
  /** Agent token lookups by token hash, owned by the agent: forgotten when its status or tokens change (readCache.ts). */
  agentTokens: ReadCache<AgentTokenLookup>;
  /** Services' stored health facts (owner, time, fingerprint) by service id: forgotten when they change. */
  serviceHealth: ReadCache<ServiceHealthFacts>;
  /** Failed logins and registrations per IP: totals for metrics and audit sampling (the limits are in the database). */
  authFailures: AuthFailures;
  /** One-time console messages by session id, bounded (console/flash.ts). */
  flashes: Map<string, FlashEntry>;
  /** This app's Prometheus registry, once metrics are installed (metrics/prometheus.ts). */
  metricsRegistry: Registry | undefined;
  /** Coalesced last-contact times by agent id, written within a second (domain/contacts.ts). */
  contacts: Map<string, string>;
  /** Coalesced refreshes of unchanged health by service id: [time, fingerprint], written with the contacts. */
  healthRefreshes: Map<string, [string, string]>;
  contactTimer: NodeJS.Timeout | undefined;
  /** The flush being written and the one waiting for it (domain/contacts.ts: one at a time). */
  contactFlush: { running: Promise<void> | undefined; queued: Promise<void> | undefined };
  /** When this process last wrote each agent's sampled heartbeat audit (ms). */
  heartbeatSamples: Map<string, number>;
  /** First contacts waiting to be written together (domain/firstContacts.ts). */
  firstContacts: { queue: FirstContact[]; lanes: number };
  counters: OperationalCounters;
  maintenance: MaintenanceSchedule;
  webhooks: WebhookWorker;
  telegram: TelegramPoller;
  startedAt: Date;
  /** Hooks run after each request completes (metrics). */
  onRequest: ((info: { method: string; route: string; status: number; ms: number }) => void)[];
  /** Hooks run first on shutdown (stop the maintenance timer, flush state). */
  onClose: (() => void | Promise<void>)[];
}

export function createRuntime(now: () => Date): Runtime {
  return {
    nodeId: randomBytes(6).toString("hex"),
    hub: new CommandHub(),
    agentTokens: new ReadCache(),
    serviceHealth: new ReadCache(),
    authFailures: new AuthFailures(now),
    flashes: new Map(),
    metricsRegistry: undefined,
    contacts: new Map(),
    healthRefreshes: new Map(),
    contactTimer: undefined,
    contactFlush: { running: undefined, queued: undefined },
    heartbeatSamples: new Map(),
    firstContacts: { queue: [], lanes: 0 },
    counters: {
      agentCommandPolls: 0,
      oversizedCommandResultsRejected: 0,
      actionPrepareTimeouts: 0,
      heartbeatsReceived: 0,
      healthWritesCoalesced: 0,
      auditEventsWritten: 0,
      httpRequests: 0,
      loginPasswordChecks: 0,
      wakeupsSent: 0,
      wakeupsReceived: 0,
      wakeupsOwn: 0,
      wakeupReconnects: 0,
      maintenanceRuns: 0,
      maintenanceSkipped: 0,
    },
    maintenance: { chain: Promise.resolve(), stopped: false },
    webhooks: { stopped: false, lanes: new Map(), abort: new AbortController(), attempts: 0, failures: 0 },
    telegram: { stop: new AbortController(), loops: [], active: false, lastError: null, calls: 0, failures: 0 },
    startedAt: now(),
    onRequest: [],
    onClose: [],
  };
}
