// Agent poll: atomically claims the agent's oldest PENDING commands (PENDING -> RUNNING), and with
// waitSeconds > 0 parks the request until a command is created for the agent or the wait ends.
import type { Actor, App } from "../../context.js";
import { claimableCommandIds, claimCommand, getCommand, hasClaimableCommand, type CommandRow } from "../../db/commands.js";
import { AppError } from "../../errors.js";
import { Parked, type ClientLink } from "../hub.js";
import { touchAgent } from "../agents.js";
import { writeAudit } from "../audit.js";
import { afterTerminal, COMMAND_TARGET, endWithSyntheticFailure } from "./lifecycle.js";
import { mergeSecrets } from "./payload.js";
import { peekSecrets, takeSecrets, type TakenSecrets } from "./sealedSecrets.js";
import { agentCommandToWire } from "./wire.js";
import { leaseFor, runDeadline } from "./delivery.js";

export { DEFAULT_RUN_SECONDS, RUN_GRACE_SECONDS } from "./delivery.js";
export const MAX_WAIT_SECONDS = 30;

type AgentCommand = ReturnType<typeof agentCommandToWire>;

/**
 * One claim pass in one transaction. A command's sealed secret payload fields are taken (deleted) and
 * opened in this transaction, so only the node whose claim commits ever holds them; a command whose
 * secrets are gone or no longer open (another secret key) fails instead of being sent.
 */
export async function claimCommands(app: App, agentId: string, limit: number, requestId?: string, leased = false): Promise<AgentCommand[]> {
  const actor: Actor = { type: "AGENT", id: agentId };
  const out: AgentCommand[] = [];
  const ended: string[] = [];
  // Almost every poll finds nothing: one unlocked read answers that without a transaction (on SQLite
  // without queueing behind the writers; on PostgreSQL one round trip instead of BEGIN, SELECT,
  // COMMIT). A command created just after this read is not missed: the caller read the hub's
  // notification count before, so its wait returns at once and claims again.
  if (!await hasClaimableCommand(app.db, agentId, app.now().toISOString())) return out;
  await app.db.transaction(async () => {
    const now = app.now();
    const nowIso = now.toISOString();
    const leaseUntil = leaseFor(app, now, leased);
    for (const id of await claimableCommandIds(app.db, agentId, nowIso, limit)) {
      const c = (await getCommand(app.db, id))!;
      let secrets: Record<string, unknown> | undefined;
      if (c.secretFields?.length) {
        // Taken before the claim. The row is locked (PostgreSQL: FOR UPDATE SKIP LOCKED) or writers are
        // serialised (SQLite), so a failing claim below means the command stopped being PENDING (a
        // cancel or expiry, which drop the secrets anyway): nothing that could still be sent is lost.
        // a leased claim leaves the sealed copy for a redelivery; the agent's confirmation drops it (delivery.ts)
        const taken = leaseUntil ? await peekSecrets(app, id) : await takeSecrets(app, id);
        if (!taken.ok) {
          await loseSecrets(app, c, taken, requestId);
          ended.push(id);
          continue;
        }
        secrets = taken.secrets;
      }
      if (!await claimCommand(app.db, id, nowIso, runDeadline(c, now), leaseUntil)) continue;
      await writeAudit(app, {
        actor, action: "command.dispatched", target: { type: COMMAND_TARGET, id }, requestId,
        metadata: { actionName: c.actionName, type: c.type, ...(c.deliveryAttempts > 0 ? { deliveryAttempt: c.deliveryAttempts + 1 } : {}) },
      });
      const claimed = (await getCommand(app.db, id))!;
      out.push(agentCommandToWire(claimed, secrets ? mergeSecrets(claimed.payload, secrets) : claimed.payload));
    }
  });
  for (const id of ended) afterTerminal(app, id);
  return out;
}

/** Why a command's secrets cannot be sent, for the command's error message and its audit event. */
function lossMessage(taken: Exclude<TakenSecrets, { ok: true }>): string {
  const again = "run the action again and enter the value";
  switch (taken.reason) {
    case "wrong-key":
      return `the secret key changed since the command was created (${taken.detail}); ${again}`;
    case "missing":
      return `secret payload fields were lost before dispatch (no sealed copy is stored); ${again}`;
    default:
      return `the stored secret payload fields could not be decrypted (${taken.reason}: altered or damaged); ${again}`;
  }
}

async function loseSecrets(app: App, c: CommandRow, taken: Exclude<TakenSecrets, { ok: true }>, requestId?: string): Promise<void> {
  const message = lossMessage(taken);
  if (!await endWithSyntheticFailure(app, c, "FAILED", { code: "SECRET_UNAVAILABLE", message })) return;
  await writeAudit(app, {
    actor: { type: "SYSTEM", id: null }, action: "command.failed", target: { type: COMMAND_TARGET, id: c.id }, result: "FAILURE",
    requestId, message, metadata: { errorCode: "SECRET_UNAVAILABLE", reason: taken.reason, secretFields: c.secretFields },
  });
  // a changed key is a configuration problem the operator must see; the message names key ids only
  if (taken.reason === "wrong-key") app.log.warn("secret payload sealed with another key; command failed", { commandId: c.id, detail: taken.detail });
}

/** Where a parked poll's answer goes (http/exchange.ts): the claimed commands, or the error that ended it. */
export interface PollClient extends ClientLink {
  answer(data: AgentCommand[]): void;
  fail(err: unknown): void;
}

export interface PollInput {
  agentId: string;
  /** as the request's token lookup read it (touchAgent) */
  agentStatus?: string | undefined;
  limit: number;
  waitSeconds: number;
  /** The poller confirms deliveries (an SDK): its claims carry a delivery lease (delivery.ts). */
  leased?: boolean | undefined;
  /** The request's answering end: whether the client left, and where a parked poll's answer goes. */
  client: PollClient;
  requestId?: string | undefined;
}

/**
 * The poll: counts as contact, claims, and long-polls when asked to and nothing is pending. Returns
 * the commands to answer with now, or `"parked"`: the hub holds the poll and answers it through
 * input.client later, so the request's own async chain ends here (issue #16).
 */
export async function pollCommands(app: App, input: PollInput): Promise<AgentCommand[] | "parked"> {
  const { agentId, requestId } = input;
  const limit = Math.min(10, Math.max(1, Math.floor(input.limit)));
  const waitMs = Math.min(MAX_WAIT_SECONDS, Math.max(0, input.waitSeconds)) * 1000;
  app.runtime.counters.agentCommandPolls++;
  await touchAgent(app, agentId, input.agentStatus);
  const hub = app.runtime.hub;
  const seen = hub.agentNotifications;
  // right after a quiet window of this agent here, park without a check (hub.takeQuiet: PostgreSQL only)
  const claimed = waitMs > 0 && hub.takeQuiet(agentId, seen) ? [] : await claimCommands(app, agentId, limit, requestId, input.leased);
  if (claimed.length || waitMs === 0) return claimed;

  if (!hub.enterLongPoll(agentId, app.config.maxLongPollsPerAgent)) {
    throw new AppError("RATE_LIMITED", `at most ${app.config.maxLongPollsPerAgent} concurrent long polls per agent`, {
      maxLongPollsPerAgent: app.config.maxLongPollsPerAgent,
    }, { "Retry-After": "1" });
  }
  // Wall-clock deadline (not app.now()): waits are real time even when tests inject a clock.
  const poll = new LongPoll(app, input, limit, Date.now() + waitMs, seen);
  let out: AgentCommand[] | undefined;
  try {
    out = await poll.parkOrClaim();
  } catch (err) {
    hub.leaveLongPoll(agentId);
    throw err;
  }
  if (out === undefined) return "parked";
  hub.leaveLongPoll(agentId);
  return out;
}

/**
 * An admitted long poll: the hub's record while parked, and what answering needs (the claim's
 * parameters and the client). From admission to answer it is counted by enterLongPoll/leaveLongPoll.
 */
class LongPoll extends Parked {
  private readonly limit: number;
  private readonly leased: boolean | undefined;
  private readonly requestId: string | undefined;
  declare readonly client: PollClient;

  constructor(readonly app: App, input: PollInput, limit: number, deadline: number, private seen: number) {
    super(app.runtime.hub, input.agentId, deadline, input.client);
    this.limit = limit;
    this.leased = input.leased;
    this.requestId = input.requestId;
  }

  /**
   * Parks, or claims again while notifications arrived since the last claim. Commands: the answer now;
   * `[]`: the window is over (or the client left, or shutdown); undefined: parked (the hub calls settled()).
   */
  async parkOrClaim(): Promise<AgentCommand[] | undefined> {
    for (;;) {
      // A command created between the empty claim and this parking is not missed: `seen` was read
      // before the claim, and any notification since makes park() refuse (recheck) so we claim again.
      const outcome = this.hub.park(this, this.seen);
      if (outcome === "parked") return undefined;
      if (outcome === "over") return [];
      const claimed = await this.claim();
      if (claimed.length) return claimed;
      // another poller of the same agent took it; keep waiting for the rest of the window
    }
  }

  private async claim(): Promise<AgentCommand[]> {
    this.seen = this.hub.agentNotifications;
    const claimed = await claimCommands(this.app, this.agentId, this.limit, this.requestId, this.leased);
    if (claimed.length) await touchAgent(this.app, this.agentId);
    return claimed;
  }

  settled(woken: boolean): void {
    void this.resume(woken);
  }

  /** After the hub took the record out: claim when woken (a client gone claims nothing), park again or answer. */
  private async resume(woken: boolean): Promise<void> {
    let out: AgentCommand[] | undefined;
    try {
      if (woken && !this.client.clientGone) {
        out = await this.claim();
        if (!out.length) out = await this.parkOrClaim();
      } else {
        out = [];
        if (!this.client.clientGone) this.hub.noteQuiet(this.agentId);
      }
    } catch (err) {
      this.hub.leaveLongPoll(this.agentId);
      this.client.fail(err);
      return;
    }
    if (out === undefined) return; // parked again for the rest of its window
    this.hub.leaveLongPoll(this.agentId);
    this.client.answer(out);
  }
}
