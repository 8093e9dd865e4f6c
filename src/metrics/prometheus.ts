// GET /metrics content: one prom-client Registry per app, kept in app.runtime (never the global one,
// so several apps in one process — tests — keep separate series). Request metrics come from the runtime's onRequest hook;
// everything else is read at scrape time, so nothing here can drift from the database.
import type * as PromClient from "prom-client";
import type { Registry } from "prom-client";
import type { App } from "../context.js";
import { commandsFinishedSince } from "../db/metrics.js";
import { lastMaintenanceRun } from "../domain/maintenance.js";
import { statusCounts } from "../domain/metrics.js";
import { databaseSize } from "../db/facts.js";
import { COMMAND_STATUSES, COMMAND_TYPES } from "../vocabulary.js";
import type { OperationalCounters } from "../runtime.js";

// prom-client is loaded only when metrics are on (CAPSTAN_METRICS): with the default "off" an idle
// server saves ~8 MB RSS and every request skips two labelled observations nobody can scrape.
let prom: typeof PromClient | undefined;
export async function loadPromClient(): Promise<void> {
  prom ??= await import("prom-client");
}

const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const FINISHED_BATCH = 1000;

/** A counter mirrored from the runtime's in-memory counters at scrape time. */
function mirroredCounter(register: Registry, app: App, name: string, help: string, key: keyof OperationalCounters): void {
  new prom!.Counter({
    name, help, registers: [register],
    collect() {
      this.reset();
      this.inc(app.runtime.counters[key]);
    },
  });
}

/**
 * Creates the app's registry and hooks request metrics. Call once, before the server accepts requests,
 * after loadPromClient().
 */
export function installMetrics(app: App): Registry {
  const existing = app.runtime.metricsRegistry;
  if (existing) return existing;
  if (!prom) throw new Error("installMetrics: call loadPromClient() first");
  const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = prom;
  const register = new Registry();
  app.runtime.metricsRegistry = register;
  collectDefaultMetrics({ register });

  new Gauge({ name: "capstan_info", help: "Capstan build information.", labelNames: ["version"], registers: [register] }).set({ version: app.version }, 1);

  // One set of count queries per scrape: prom-client collects all metrics concurrently, so the three
  // gauges share the promise of the scrape in progress instead of one gauge filling the others.
  let counting: ReturnType<typeof statusCounts> | null = null;
  const counts = () => (counting ??= statusCounts(app).finally(() => (counting = null)));
  const agents = new Gauge({
    name: "capstan_agents", help: "Agents by effective status.", labelNames: ["status"], registers: [register],
    async collect() {
      const c = await counts();
      agents.reset();
      for (const [status, n] of Object.entries(c.agents)) agents.set({ status }, n);
    },
  });
  const services = new Gauge({
    name: "capstan_capsule_services", help: "Capsule Services by effective status.", labelNames: ["status"], registers: [register],
    async collect() {
      const c = await counts();
      services.reset();
      for (const [status, n] of Object.entries(c.capsuleServices)) services.set({ status }, n);
    },
  });
  const commands = new Gauge({
    name: "capstan_commands", help: "Commands by status and type.", labelNames: ["status", "type"], registers: [register],
    async collect() {
      const c = await counts();
      commands.reset();
      for (const status of COMMAND_STATUSES) for (const type of COMMAND_TYPES) commands.set({ status, type }, 0);
      for (const r of c.commandsByStatusType) commands.set({ status: r.status, type: r.type }, r.n);
    },
  });

  // Durations are observed as commands finish, found by a (completedAt, id) watermark at scrape time:
  // commands finish in several modules, and this way none of them has to know about metrics.
  let watermark = { completedAt: app.runtime.startedAt.toISOString(), id: "" };
  new Histogram({
    name: "capstan_command_duration_seconds", help: "Command run time, start to finish (creation to finish if never started), for commands finished since start.",
    labelNames: ["type", "status"], buckets: DURATION_BUCKETS, registers: [register],
    async collect() {
      for (;;) {
        const rows = await commandsFinishedSince(app.db, watermark, FINISHED_BATCH);
        for (const r of rows) {
          const seconds = (Date.parse(r.completedAt) - Date.parse(r.startedAt ?? r.createdAt)) / 1000;
          if (Number.isFinite(seconds) && seconds >= 0) this.observe({ type: r.type, status: r.status }, seconds);
        }
        if (rows.length) watermark = { completedAt: rows[rows.length - 1]!.completedAt, id: rows[rows.length - 1]!.id };
        if (rows.length < FINISHED_BATCH) break;
      }
    },
  });

  const requests = new Counter({
    name: "capstan_http_requests_total", help: "HTTP requests by route pattern and status.",
    labelNames: ["method", "route", "status"], registers: [register],
  });
  const latency = new Histogram({
    name: "capstan_http_request_duration_seconds", help: "HTTP request latency by route pattern.",
    labelNames: ["method", "route"], buckets: HTTP_BUCKETS, registers: [register],
  });
  app.runtime.onRequest.push(({ method, route, status, ms }) => {
    requests.inc({ method, route, status: String(status) });
    latency.observe({ method, route }, ms / 1000);
  });

  new Gauge({
    name: "capstan_long_polls_open", help: "Agent long polls currently waiting.", registers: [register],
    collect() {
      this.set(app.runtime.hub.openLongPolls());
    },
  });
  mirroredCounter(register, app, "capstan_heartbeats_received_total", "Agent heartbeats received since start.", "heartbeatsReceived");
  mirroredCounter(register, app, "capstan_agent_command_polls_total", "Agent command polls since start.", "agentCommandPolls");
  mirroredCounter(register, app, "capstan_audit_events_written_total", "Audit events written since start.", "auditEventsWritten");
  mirroredCounter(register, app, "capstan_command_results_rejected_total", "Command results refused as too large since start.", "oversizedCommandResultsRejected");
  mirroredCounter(register, app, "capstan_action_prepare_timeouts_total", "Action prepares that timed out since start.", "actionPrepareTimeouts");
  mirroredCounter(register, app, "capstan_wakeups_sent_total", "Cross-node wake-ups (NOTIFY) this node sent since start (PostgreSQL).", "wakeupsSent");
  mirroredCounter(register, app, "capstan_wakeups_received_total", "Cross-node wake-ups from other nodes this node relayed to its waits since start.", "wakeupsReceived");
  mirroredCounter(register, app, "capstan_wakeups_own_total", "This node's own wake-ups heard back from PostgreSQL (ignored: already woken locally).", "wakeupsOwn");
  mirroredCounter(register, app, "capstan_wakeup_reconnects_total", "Wake-up listener reconnections (each wakes every wait to re-check).", "wakeupReconnects");
  mirroredCounter(register, app, "capstan_maintenance_runs_total", "Scheduled maintenance runs this node ran since start.", "maintenanceRuns");
  mirroredCounter(register, app, "capstan_maintenance_skipped_total", "Scheduled maintenance runs this node left to the node holding the maintenance lock.", "maintenanceSkipped");

  // read from runtime.authFailures (auth/failures.ts): `failures` includes the attempts refused with 429
  // unchecked, which `throttled` counts on its own
  for (const [name, help, field] of [
    ["capstan_auth_failures_total", "Failed logins and agent registrations since start, including those refused with 429.", "failures"],
    ["capstan_auth_throttled_total", "Logins and agent registrations refused with 429 (unchecked) since start; also in capstan_auth_failures_total.", "throttled"],
  ] as const) {
    new Counter({
      name, help, labelNames: ["kind"], registers: [register],
      collect() {
        this.reset();
        for (const [kind, n] of Object.entries(app.runtime.authFailures.totals)) this.inc({ kind }, n[field]);
      },
    });
  }

  new Gauge({
    name: "capstan_db_size_bytes", help: "Database size: SQLite main file pages and WAL; PostgreSQL pg_database_size as main.", labelNames: ["file"], registers: [register],
    async collect() {
      const size = await databaseSize(app.db);
      this.set({ file: "main" }, size.sizeBytes);
      this.set({ file: "wal" }, size.walBytes);
    },
  });
  new Gauge({
    name: "capstan_maintenance_last_run_timestamp_seconds", help: "When the last maintenance run finished (0: never).", registers: [register],
    async collect() {
      const last = await lastMaintenanceRun(app);
      this.set(last ? Date.parse(last.finishedAt) / 1000 : 0);
    },
  });
  return register;
}

/** The Prometheus text exposition for this app. */
export async function renderMetrics(app: App): Promise<{ body: string; contentType: string }> {
  await loadPromClient();
  const register = installMetrics(app);
  return { body: await register.metrics(), contentType: register.contentType };
}
