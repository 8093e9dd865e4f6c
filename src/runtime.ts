// In-memory state of one server process. Nothing here is needed to recover after a restart:
// it holds waiters, throttles, buffers and counters. (One-time secrets live sealed in command_secrets.)
import type { Registry } from "prom-client";
import type { FlashEntry } from "./console/flash.js";
import { CommandHub } from "./domain/hub.js";
import { AuthFailures } from "./auth/failures.js";
import type { IngestWindow } from "./domain/bus/rateLimit.js";
import { LoginThrottle } from "./auth/throttle.js";

export interface OperationalCounters {
  agentCommandPolls: number;
  oversizedCommandResultsRejected: number;
  actionPrepareTimeouts: number;
  heartbeatsReceived: number;
  auditEventsWritten: number;
  httpRequests: number;
  /** Passwords actually checked by login (argon2 verify), throttled attempts excluded. */
  loginPasswordChecks: number;
}

/** The maintenance scheduler of this process (domain/maintenance.ts). */
export interface MaintenanceSchedule {
  /** Runs are serialised through this chain so two never overlap. */
  chain: Promise<unknown>;
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

export interface Runtime {
  hub: CommandHub;
  throttle: LoginThrottle;
  /** Failed logins and registrations per IP: totals for metrics, audit sampling, the registration limit. */
  authFailures: AuthFailures;
  /** One-time console messages by session id, bounded (console/flash.ts). */
  flashes: Map<string, FlashEntry>;
  /** Per-agent bus ingest windows (domain/bus/rateLimit.ts). */
  busIngestWindows: Map<string, IngestWindow>;
  /** This app's Prometheus registry, once metrics are installed (metrics/prometheus.ts). */
  metricsRegistry: Registry | undefined;
  /** Coalesced last-contact times by agent id, written within a second (domain/contacts.ts). */
  contacts: Map<string, string>;
  contactTimer: NodeJS.Timeout | undefined;
  /** When this process last wrote each agent's sampled heartbeat audit (ms). */
  heartbeatSamples: Map<string, number>;
  counters: OperationalCounters;
  maintenance: MaintenanceSchedule;
  startedAt: Date;
  /** Hooks run after each request completes (metrics). */
  onRequest: ((info: { method: string; route: string; status: number; ms: number }) => void)[];
  /** Hooks run first on shutdown (stop the maintenance timer, flush state). */
  onClose: (() => void | Promise<void>)[];
}

export function createRuntime(now: () => Date): Runtime {
  return {
    hub: new CommandHub(),
    throttle: new LoginThrottle(now),
    authFailures: new AuthFailures(now),
    flashes: new Map(),
    busIngestWindows: new Map(),
    metricsRegistry: undefined,
    contacts: new Map(),
    contactTimer: undefined,
    heartbeatSamples: new Map(),
    counters: {
      agentCommandPolls: 0,
      oversizedCommandResultsRejected: 0,
      actionPrepareTimeouts: 0,
      heartbeatsReceived: 0,
      auditEventsWritten: 0,
      httpRequests: 0,
      loginPasswordChecks: 0,
    },
    maintenance: { chain: Promise.resolve(), stopped: false },
    startedAt: now(),
    onRequest: [],
    onClose: [],
  };
}
