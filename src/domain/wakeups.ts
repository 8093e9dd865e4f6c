// Cross-node wake-ups: several nodes on one PostgreSQL database. A node that creates a command, or
// ends a prepare command, NOTIFYs inside that transaction (delivered at commit, and only if it
// commits); every node LISTENs and relays what it hears to its own CommandHub, the one place where
// requests wait. The same channel tells every node to forget a cached read (readCache.ts) when an agent
// leaves ONLINE or its tokens change, or a service's stored health or owner changes: a heartbeat whose
// health changed sends one, an unchanged one (the steady state) none. NOTIFY is sent for those events
// only, never for contact, unchanged health or progress: notifying
// commits serialise on one global lock in PostgreSQL. A lost notification (the listening connection
// dropped) costs a delay, never a command: on reconnect every wait re-checks, prepare waits re-check on
// their own timer (CommandHub.recheckMs), and parked long polls are re-checked together: every interval
// one query asks which agents have a PENDING command, and only the parked polls of those agents wake.
// (One claim per parked poll every 3 s was ~3,300 transactions/s at 10,000 agents and exhausted the
// pool.) On SQLite one process owns the file: nothing to send, nothing to re-check.
import type { App } from "../context.js";
import { agentsWithPendingCommands, type CommandRow } from "../db/commands.js";

export const WAKE_CHANNEL = "capstan_wake";
/** How often a parked wait re-checks the database on a shared database: the longest a lost wake-up delays a command. */
export const RECHECK_MS = 3_000;

/** Most agents one re-check wakes: a backlog beyond it is found by the next re-checks and the polls themselves. */
const RECHECK_AGENTS_MAX = 10_000;

// a: the agent has a new claimable command; c: the command reached a terminal state;
// t: the agent's status or tokens changed (left ONLINE, disabled, revoked, re-enrolled): forget its cached token lookups;
// s: the service's stored health or owner changed: forget its cached health facts (readCache.ts)
type Kind = "a" | "c" | "t" | "s";

async function announce(app: App, kind: Kind, id: string): Promise<void> {
  if (app.db.kind === "sqlite") return; // the local hub wake-up after commit reaches every waiter
  // the node id lets this node recognise its own notification when it comes back (its hub was woken directly)
  await app.db.notify(WAKE_CHANNEL, `${kind}:${app.runtime.nodeId}:${id}`);
  app.runtime.counters.wakeupsSent++;
}

/** Inside the transaction that makes a command claimable for this agent. */
export const announceNewCommand = (app: App, agentId: string): Promise<void> => announce(app, "a", agentId);

/**
 * Inside the transaction that ends a command. Only prepare and message commands are announced: a
 * prepare wait and a message's reply wait (GET /api/messages/{id}?wait) are the only waits for a
 * command's end, and a NOTIFY per finished execute would double the notifying commits for nothing.
 */
export async function announceTerminal(app: App, c: Pick<CommandRow, "id" | "type">): Promise<void> {
  if (c.type === "ACTION_PREPARE" || c.type === "MESSAGE") await announce(app, "c", c.id);
}

/**
 * Inside the transaction that takes an agent out of ONLINE or changes its tokens: every node forgets its
 * cached token lookups of the agent (readCache.ts), this one at once and again when the NOTIFY comes back.
 */
export async function announceAgentChanged(app: App, agentId: string): Promise<void> {
  app.runtime.agentTokens.forget(agentId);
  await announce(app, "t", agentId);
}

/** Inside the transaction that writes a service's health or gives it another agent: as announceAgentChanged, for its health facts. */
export async function announceServiceChanged(app: App, serviceId: string): Promise<void> {
  app.runtime.serviceHealth.forget(serviceId);
  await announce(app, "s", serviceId);
}

/** Relays one notification to this node's hub; this node's own come back too and are only counted. */
function relay(app: App, payload: string): void {
  const [kind, node, ...rest] = payload.split(":");
  const id = rest.join(":");
  if (!id || (kind !== "a" && kind !== "c" && kind !== "t" && kind !== "s")) return; // not ours (someone else on the channel)
  // a cache is forgotten on every node, this one included: its read between the first forget and the commit may be old
  if (kind === "t") app.runtime.agentTokens.forget(id);
  if (kind === "s") app.runtime.serviceHealth.forget(id);
  if (node === app.runtime.nodeId) {
    app.runtime.counters.wakeupsOwn++; // already woken locally after the commit; waking again would only re-claim
    return;
  }
  app.runtime.counters.wakeupsReceived++;
  if (kind === "a") app.runtime.hub.notifyAgent(id);
  else if (kind === "c") app.runtime.hub.notifyCommand(id);
}

/**
 * Starts listening (PostgreSQL) and turns on the hub's re-check timer; returns the stop for shutdown.
 * On SQLite there is nothing to listen to and no re-check: every change passes through this process.
 */
export async function startWakeups(app: App): Promise<() => Promise<void>> {
  const stop = await app.db.listen(WAKE_CHANNEL, (payload) => relay(app, payload), () => {
    app.runtime.counters.wakeupReconnects++;
    app.log.warn("wake-up listener reconnected: every parked wait re-checks and cached agent tokens are read again");
    // a change may have been announced while nobody listened
    app.runtime.agentTokens.clear();
    app.runtime.serviceHealth.clear();
    app.runtime.hub.wakeAll();
  });
  if (!stop) return async () => {};
  app.runtime.hub.recheckMs = RECHECK_MS;
  const stopRecheck = recheckParkedPolls(app);
  return async () => {
    stopRecheck();
    await stop();
  };
}

/** Every ~recheckMs: wakes the parked polls of agents that have a PENDING command (a lost NOTIFY). */
function recheckParkedPolls(app: App): () => void {
  const hub = app.runtime.hub;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async () => {
    const parked = hub.parkedAgentIds();
    if (parked.length === 0) return;
    const due = new Set(await agentsWithPendingCommands(app.db, app.now().toISOString(), RECHECK_AGENTS_MAX));
    for (const agentId of parked) if (due.has(agentId)) hub.notifyAgent(agentId);
  };
  let last = Date.now();
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      // the interval is read again at each turn: a changed hub.recheckMs takes effect at once
      if (Date.now() - last < (hub.recheckMs ?? RECHECK_MS) * 0.75) return schedule();
      last = Date.now();
      tick().catch((err: unknown) => app.log.warn("parked-poll re-check failed; retrying next interval", { error: String(err) })).finally(schedule);
    }, Math.min(RECHECK_MS, hub.recheckMs ?? RECHECK_MS) * (0.75 + Math.random() / 2));
    timer.unref();
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
