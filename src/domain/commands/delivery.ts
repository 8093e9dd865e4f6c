// Delivery leases: a lost poll answer must not leave a command RUNNING until it expires. A command
// claimed by an agent that confirms deliveries (the SDKs: they send a progress call within about a
// second of receiving a command) carries a short lease; the agent's first progress or result clears
// it. A lease that lapses means the answer never arrived: the maintenance sweep puts the command back
// to PENDING once (audit `system.command.redelivered`) and wakes the agent's parked poll; a second
// lapse ends it the way expiry does (EXPIRED, COMMAND_EXPIRED). The SDKs drop a command id they were
// already given, so a delivery that did arrive after all runs its handler once.
//
// Agents that never send progress (reference/upstream agents) get no lease: redelivering to them
// would run a long command twice. They are told apart by the poll's User-Agent (see leaseFor).
import type { App } from "../../context.js";
import { confirmDelivery, lapsedDeliveries, reclaimCommand, requeueCommand, getCommand, type CommandRow } from "../../db/commands.js";
import { dropCommandSecret } from "../../db/commandSecrets.js";
import { writeAudit } from "../audit.js";
import { announceNewCommand } from "../wakeups.js";
import { expireOne } from "./expire.js";
import { afterTerminal, COMMAND_TARGET } from "./lifecycle.js";

/** Claims per command: the first delivery and one redelivery. */
export const MAX_DELIVERIES = 2;

/** The SDKs' User-Agents start with this (sdk/src/http.ts, sdk-python/capstan_agent/http.py). */
const SDK_USER_AGENT = "capstan-agent";

/** Whether a poll with this User-Agent gets leased deliveries (the SDKs confirm; other agents may not). */
export const confirmsDeliveries = (userAgent: string | undefined): boolean => userAgent?.startsWith(SDK_USER_AGENT) ?? false;

/** The lease deadline for a claim now, or null when this claim gets none. */
export function leaseFor(app: App, now: Date, leased: boolean): string | null {
  const s = app.config.deliveryLeaseSeconds;
  return leased && s > 0 ? new Date(now.getTime() + s * 1000).toISOString() : null;
}

/** A RUNNING command may take its action's timeout (default 300 s) plus this grace before it expires. */
export const DEFAULT_RUN_SECONDS = 300;
export const RUN_GRACE_SECONDS = 60;

/** The RUNNING deadline of a command claimed now (its action's timeout plus grace). */
export const runDeadline = (c: CommandRow, now: Date): string =>
  new Date(now.getTime() + ((c.timeoutSeconds ?? DEFAULT_RUN_SECONDS) + RUN_GRACE_SECONDS) * 1000).toISOString();

/**
 * The agent's progress or result for `c` shows it holds the command: clears an open lease, or takes
 * back a command the sweep had put back to PENDING (its answer was only late). A leased claim kept the
 * sealed secret payload for a redelivery; it is dropped now. Call inside the caller's transaction;
 * returns the row as it is now.
 */
export async function confirmHeld(app: App, c: CommandRow): Promise<CommandRow> {
  let changed = false;
  if (c.status === "RUNNING" && c.deliveryLeaseUntil !== null) changed = await confirmDelivery(app.db, c.id);
  else if (c.status === "PENDING" && c.deliveryAttempts > 0) {
    const now = app.now();
    changed = await reclaimCommand(app.db, c.id, now.toISOString(), runDeadline(c, now));
  }
  if (!changed) return c;
  if (c.secretFields?.length) await dropCommandSecret(app.db, c.id, "secrets");
  return (await getCommand(app.db, c.id))!;
}

/**
 * Maintenance task: RUNNING commands whose lease lapsed go back to PENDING (once) or, on a second
 * lapse, expire. Returns how many changed.
 */
export async function redeliverCommands(app: App, limit: number): Promise<number> {
  const requeued: string[] = [];
  const ended: string[] = [];
  await app.db.transaction(async () => {
    const now = app.now();
    for (const c of await lapsedDeliveries(app.db, now.toISOString(), limit)) {
      if (c.deliveryAttempts >= MAX_DELIVERIES) {
        const message = `the agent did not confirm the command after ${c.deliveryAttempts} deliveries`;
        if (await expireOne(app, c, undefined, message)) ended.push(c.id);
        continue;
      }
      // a new pickup deadline: the agent polled a lease ago, so it is normally back within seconds
      const pickup = new Date(now.getTime() + app.config.commandTtlSeconds * 1000).toISOString();
      if (!await requeueCommand(app.db, c.id, pickup)) continue;
      await announceNewCommand(app, c.agentId); // other nodes wake this agent's parked poll at commit
      await writeAudit(app, {
        actor: { type: "SYSTEM", id: null }, action: "system.command.redelivered", target: { type: COMMAND_TARGET, id: c.id },
        result: "SUCCESS", message: "the agent did not confirm the delivery within its lease; the command is queued again",
        metadata: { actionName: c.actionName, type: c.type, agentId: c.agentId, deliveryAttempts: c.deliveryAttempts, leaseUntil: c.deliveryLeaseUntil },
      });
      requeued.push(c.agentId);
    }
  });
  for (const agentId of requeued) app.runtime.hub.notifyAgent(agentId); // this node's parked polls, after the commit
  for (const id of ended) afterTerminal(app, id);
  return requeued.length + ended.length;
}
