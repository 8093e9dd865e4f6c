// The maintenance scheduler: keeps stored statuses in step with time (agents OFFLINE, services
// STALE), expires commands and registration tokens, applies audit retention, prunes command logs,
// unread generatedKeys, expired sessions and spent limiter windows. Every task is batch-bounded and idempotent; a run
// yields to the event loop between batches and stops at a time budget, so a large backlog never
// stalls requests.
import type { Actor, App } from "../context.js";
import { deleteAuditEventsBefore } from "../db/audit.js";
import { deleteBusEventsBefore } from "../db/busEvents.js";
import { pruneCommandLogsBefore } from "../db/commandLogs.js";
import { getSetting, putSetting } from "../db/settings.js";
import { deleteExpiredSessions } from "../db/sessions.js";
import { deleteSpentWindows } from "../db/limiter.js";
import { deleteWebhookDeliveriesBefore } from "../db/webhookDeliveries.js";
import { markOfflineAgents } from "./agents.js";
import { writeAudit } from "./audit.js";
import { flushContacts } from "./contacts.js";
import { maintainRegistryKeys } from "./packages/signing.js";
import { expireApprovals } from "./approvals/expire.js";
import { expireCommands } from "./commands/expire.js";
import { redeliverCommands } from "./commands/delivery.js";
import { sweepExpiredGeneratedKeys, sweepGeneratedKeysOverCap } from "./commands/sealedSecrets.js";
import { expireRegistrationTokens } from "./registrationTokens.js";
import { markStaleServices } from "./services.js";
import { loadMaintenanceSettings } from "./maintenanceSettings.js";

export const MAINTENANCE_BATCH = 500;
/** Per run; a run cut short by it is followed by another one a second later. */
const RUN_BUDGET_MS = 2_000;
const CATCH_UP_DELAY_MS = 1_000;
const LAST_RUN_KEY = "maintenance.lastRun";
/**
 * The advisory lock that makes scheduled runs a singleton across nodes on one PostgreSQL database.
 * Held for the node's life, not per run: per-run locks would let each node's (unaligned) timer win in
 * turn, and the sweep would run up to once per node per interval. The holder's session ends when the
 * node dies, PostgreSQL frees the lock, and the next node whose timer fires (within one interval) takes
 * it. On SQLite the lock is always this process's (one process owns the file).
 */
export const MAINTENANCE_LOCK = "capstan.maintenance";

export type MaintenanceTrigger = "start" | "timer" | "manual";

export interface MaintenanceResult {
  trigger: MaintenanceTrigger;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Rows changed per task (0 when there was nothing to do). */
  changes: Record<string, number>;
  /** false when the time budget ended the run before every task was done. */
  complete: boolean;
  errors: { task: string; message: string }[];
}

/** A task changes at most `limit` rows per call and returns how many it changed. */
export interface MaintenanceTask {
  name: string;
  run: (app: App, limit: number) => Promise<number>;
}

const retentionCutoff = (app: App): string | undefined =>
  app.config.auditRetentionDays > 0 ? new Date(app.now().getTime() - app.config.auditRetentionDays * 86_400_000).toISOString() : undefined;

// Order matters: agents go OFFLINE before services are judged, so a silent agent's services walk
// HEALTHY -> STALE -> OFFLINE in step with what the list filters show; commands expire before their
// logs are pruned. The status and expiry sweeps are owned by their domain modules.
const TASKS: MaintenanceTask[] = [
  { name: "agentsOffline", run: markOfflineAgents },
  { name: "servicesStale", run: markStaleServices },
  // approval requests nobody decided: EXPIRED, and their AWAITING_APPROVAL commands with them
  { name: "approvalsExpired", run: expireApprovals },
  // claimed commands whose delivery the agent never confirmed (a lost poll answer): queued again once
  { name: "commandsRedelivered", run: redeliverCommands },
  { name: "commandsExpired", run: expireCommands },
  // unread one-time generatedKeys: gone 15 minutes after the result, and at most 1,000 kept (oldest dropped)
  { name: "generatedKeysExpired", run: sweepExpiredGeneratedKeys },
  { name: "generatedKeysOverCap", run: sweepGeneratedKeysOverCap },
  { name: "registrationTokensExpired", run: expireRegistrationTokens },
  // the registry's signing key rotated before it expires; expired keys (and their signatures) deleted
  { name: "registryKeys", run: (app) => maintainRegistryKeys(app) },
  {
    name: "auditEventsDeleted",
    run: async (app, limit) => {
      const cutoff = retentionCutoff(app);
      return cutoff ? await deleteAuditEventsBefore(app.db, cutoff, limit) : 0;
    },
  },
  {
    name: "commandLogsDeleted",
    run: async (app, limit) => {
      const cutoff = retentionCutoff(app);
      return cutoff ? await pruneCommandLogsBefore(app.db, cutoff, limit) : 0;
    },
  },
  // bus events are part of the audit trail of what the bus did: same retention
  {
    name: "busEventsDeleted",
    run: async (app, limit) => {
      const cutoff = retentionCutoff(app);
      return cutoff ? await deleteBusEventsBefore(app.db, cutoff, limit) : 0;
    },
  },
  // the webhook delivery log (finished deliveries only; pending ones are the outbox): same retention
  {
    name: "webhookDeliveriesDeleted",
    run: async (app, limit) => {
      const cutoff = retentionCutoff(app);
      return cutoff ? await deleteWebhookDeliveriesBefore(app.db, cutoff, limit) : 0;
    },
  },
  // sessions are few (one per login) and indexed by expiry: one statement is bounded enough
  { name: "sessionsDeleted", run: (app) => deleteExpiredSessions(app.db, app.now().toISOString()) },
  // limiter windows (login throttle, registration failures, bus ingest) whose window, lock and
  // reservations have run out: keeps the table as small as the current traffic
  { name: "limiterWindowsDeleted", run: (app, limit) => deleteSpentWindows(app.db, app.now().getTime(), limit) },
];

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function runOnce(app: App, trigger: MaintenanceTrigger, budgetMs: number): Promise<MaintenanceResult> {
  const started = app.now();
  const t0 = performance.now();
  const changes: Record<string, number> = {};
  const errors: MaintenanceResult["errors"] = [];
  let complete = true;
  for (const task of TASKS) {
    changes[task.name] = 0;
    try {
      for (;;) {
        // the sweeps' one read barrier: a buffered contact counts before an agent or service is judged silent
        await flushContacts(app);
        const n = await task.run(app, MAINTENANCE_BATCH);
        changes[task.name] += n;
        if (n < MAINTENANCE_BATCH) break;
        if (performance.now() - t0 > budgetMs) {
          complete = false;
          break;
        }
        await nextTick();
      }
    } catch (err) {
      // one failing task (e.g. a busy database) must not stop the others; the next run retries it
      errors.push({ task: task.name, message: err instanceof Error ? err.message : String(err) });
      app.log.error("maintenance task failed", { task: task.name, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  }
  const finished = app.now();
  const result: MaintenanceResult = {
    trigger, startedAt: started.toISOString(), finishedAt: finished.toISOString(),
    durationMs: Math.round(performance.now() - t0), changes, complete, errors,
  };
  const total = Object.values(changes).reduce((a, b) => a + b, 0);
  await app.db.transaction(async () => {
    await putSetting(app.db, LAST_RUN_KEY, result, finished.toISOString());
    // a run that found nothing to do is not worth an audit row every 30 seconds
    if (total > 0 || errors.length > 0) {
      await writeAudit(app, {
        actor: { type: "SYSTEM", id: null }, action: "maintenance.run", target: { type: "Workspace", id: null },
        result: errors.length ? "FAILURE" : "SUCCESS", metadata: { trigger, changes, complete, errors: errors.length },
      });
    }
  });
  if (total > 0) app.log.info("maintenance changed state", { trigger, ...changes });
  return result;
}

/** Runs maintenance now, after any run in progress. */
export function runMaintenance(app: App, trigger: MaintenanceTrigger = "manual", budgetMs = RUN_BUDGET_MS): Promise<MaintenanceResult> {
  const state = app.runtime.maintenance;
  const run = state.chain.then(() => runOnce(app, trigger, budgetMs));
  state.chain = run.catch(() => undefined);
  return run;
}

/** An operator's "run now": audited as maintenance.triggered, then a normal run. */
export async function triggerMaintenance(app: App, actor: Actor, requestId?: string): Promise<MaintenanceResult> {
  await app.db.transaction(async () => {
    await writeAudit(app, { actor, action: "maintenance.triggered", target: { type: "Workspace", id: null }, requestId });
  });
  return runMaintenance(app, "manual");
}

export const lastMaintenanceRun = async (app: App): Promise<MaintenanceResult | null> => (await getSetting<MaintenanceResult>(app.db, LAST_RUN_KEY))?.value ?? null;

/** Whether this node holds (or just took) the maintenance lock; a database error counts as "no" (retried next interval). */
async function holdsLock(app: App): Promise<boolean> {
  try {
    return await app.db.tryAdvisoryLock(MAINTENANCE_LOCK);
  } catch (err) {
    app.log.warn("maintenance lock unavailable; retrying next interval", { error: err instanceof Error ? err.message : String(err) });
    return false;
  }
}

/**
 * Scheduled runs happen only on the node holding MAINTENANCE_LOCK (see there); an operator's manual run
 * runs on the node asked, since every task is idempotent and batch-bounded.
 * Runs maintenance once now and then every `maintenanceIntervalSeconds` (0: only this once; read before
 * each wait, and an owner's change reschedules at once), as a
 * setTimeout chain so runs never overlap. Registers its stop on the app's shutdown hooks; stop waits
 * for a run in progress so the database is not closed under it.
 */
export function startMaintenance(app: App): { stop: () => Promise<void> } {
  const state = app.runtime.maintenance;
  const schedule = (delayMs: number) => {
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
    if (state.stopped || delayMs <= 0) return;
    state.timer = setTimeout(() => tick("timer"), delayMs);
    state.timer.unref(); // never keeps the process alive on its own
  };
  const tick = (trigger: MaintenanceTrigger) => {
    if (state.stopped) return;
    // an owner's change of the settings on another node reaches this one here (maintenanceSettings.ts)
    void loadMaintenanceSettings(app)
      .catch((err: unknown) => {
        app.log.warn("maintenance settings unreadable; keeping the current ones", { error: err instanceof Error ? err.message : String(err) });
      })
      .then(() => holdsLock(app))
      .then((mine) => {
        if (!mine) {
          app.runtime.counters.maintenanceSkipped++; // another node runs it; ask again next interval
          return undefined;
        }
        app.runtime.counters.maintenanceRuns++;
        return runMaintenance(app, trigger);
      })
      .catch((err: unknown) => {
        app.log.error("maintenance run failed", { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
        return undefined;
      })
      .then((result) => {
        if (state.stopped) return;
        // the interval is read now, not at start: an owner may change it at run time
        schedule(result && !result.complete ? CATCH_UP_DELAY_MS : app.config.maintenanceIntervalSeconds * 1000);
      });
  };
  // PATCH /api/admin/settings/maintenance: the next run one new interval from now (0: no more scheduled runs)
  state.reschedule = () => schedule(app.config.maintenanceIntervalSeconds * 1000);
  tick("start");
  const stop = async () => {
    state.stopped = true;
    state.reschedule = undefined;
    if (state.timer) clearTimeout(state.timer);
    await state.chain;
    // another node takes over at its next interval instead of waiting for this session to end
    await app.db.releaseAdvisoryLock(MAINTENANCE_LOCK).catch(() => undefined);
  };
  app.runtime.onClose.push(stop);
  return { stop };
}
