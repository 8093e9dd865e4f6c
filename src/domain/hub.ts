// The one place where requests wait: long polls wait for "a command was created for agent X";
// prepare waits for "command Y finished". Wake-ups come from this process (after its commits) and,
// when several nodes share a PostgreSQL database, from the other nodes (domain/wakeups.ts relays
// their NOTIFYs here). Because a relayed wake-up can be lost (listener reconnect), waits on a shared
// database are also re-checked (`recheckMs`), so a lost one delays a command, never loses it: prepare
// waits (few) each on their own timer; parked long polls (up to one per agent) by one query per node
// and interval (domain/wakeups.ts: which parked agents have a PENDING command), never one per poll.
//
// A parked long poll is one small record (Parked; the poll's subclass is LongPoll in
// domain/commands/poll.ts) and the hub answers it: the poll's handler returns a "parked" marker, so the
// request's own async chain (ctx, closures, handler frames, promises) ends when it parks. The record
// keeps only what answering needs (the claim's parameters and the request's Exchange: response,
// request id, start time, route, agent). When a wake-up, the timer wheel, the client's departure or
// shutdown takes it out, the hub calls its settled(): it claims (the same claimCommands as any poll),
// parks again for the rest of its window, or answers through http/exchange.ts, which writes the reply
// and the access-log line the same way for every request. One timer wheel ends the windows; the
// request's close handler reaches the record directly (ClientLink). 10,000 parked polls are 10,000
// records and one interval, not 10,000 timers, signals, listener chains and suspended requests (#16).
type Waiter = () => void;

/** What the hub needs of a waiting request: whether its client left, and where to say that it did. */
export interface ClientLink {
  readonly clientGone: boolean;
  /** Set by the hub while the request is parked; the request's close handler (http/exchange.ts) calls clientLeft(). */
  parked?: { clientLeft(): void } | undefined;
}

/** The wheel's resolution: a poll answers [] at most this much after its window ends. */
const WHEEL_TICK_MS = 250;
/** Slots: 64 s (> MAX_WAIT_SECONDS); a longer wait goes round the wheel again. */
const WHEEL_SLOTS = 256;

/** What park() did: parked (the hub answers later), `recheck` (notified since `seen`: claim again), `over` (window ended, client gone, shutdown). */
export type ParkOutcome = "parked" | "recheck" | "over";

/**
 * One parked long poll. The subclass (domain/commands/poll.ts) carries what answering needs and
 * answers in settled(): the hub calls it once per parking, synchronously, when a wake-up, the wheel,
 * the client's departure or shutdown takes the record out. No closure or promise per record.
 */
export abstract class Parked {
  /** The agent's other parked polls (a short list: at most maxLongPollsPerAgent). */
  next: Parked | undefined = undefined;
  /** In the agent's list (and due on the wheel) right now. */
  waiting = false;
  /** Has an entry in a wheel slot (kept across a re-park: the deadline does not move). */
  inWheel = false;
  constructor(
    readonly hub: CommandHub,
    readonly agentId: string,
    /** Wall-clock end of the poll's window (Date.now() based: waits are real time even with an injected clock). */
    readonly deadline: number,
    readonly client: ClientLink | undefined,
  ) {}

  clientLeft(): void {
    this.hub.settle(this, false);
  }

  /** Taken out of the hub: woken (re-check the database), or not (window over, client gone, shutdown). Must not throw. */
  abstract settled(woken: boolean): void;
}

export class CommandHub {
  /** Parked long polls by agent: the head of each agent's list. */
  private readonly parked = new Map<string, Parked>();
  private readonly wheel: Parked[][] = Array.from({ length: WHEEL_SLOTS }, () => []);
  private wheelTimer: NodeJS.Timeout | undefined;
  private wheelAt = 0; // the last tick processed (Date.now() / WHEEL_TICK_MS)
  private parkedCount = 0;
  private readonly commandWaiters = new Map<string, Set<Waiter>>();
  private closed = false;
  /**
   * Notifications so far. A caller reads this before the database work that might make waiting
   * unnecessary and passes it to park()/waitForCommand(): with async database calls a notification can
   * land between that work and registering the waiter, and must not be missed (it then re-checks at once).
   */
  private agentNotes = 0;
  private commandNotes = 0;
  /**
   * Set when other nodes can change the database (domain/wakeups.ts): a prepare wait then also resolves
   * true (re-check) after about this long. Unset on SQLite, where every change passes through this
   * process's hub, so a re-check could only find what a wake-up already announced.
   */
  recheckMs: number | undefined;
  /**
   * Agents whose long poll here ended at its deadline with nothing claimed, with agentNotifications then
   * (only while re-checks run: a shared database). The SDK polls again at once, and that poll parks
   * without a claim check of its own while no agent was notified since and the window ended within one
   * re-check interval: a command it could have found is found by the node-level re-check, as for any
   * parked poll (a lost NOTIFY delays it by at most one more interval). On PostgreSQL that check was a
   * query per poll, ~400 a second at 10,000 agents (bench/pg-vs-sqlite.mjs hold).
   */
  private readonly quiet = new Map<string, { notes: number; atMs: number }>();

  /** This agent's poll ended at its deadline with nothing claimed (see `quiet`). */
  noteQuiet(agentId: string): void {
    if (this.recheckMs === undefined || this.closed) return;
    const atMs = Date.now();
    this.quiet.delete(agentId); // re-inserted last: the map stays in time order
    this.quiet.set(agentId, { notes: this.agentNotes, atMs });
    for (const [id, q] of this.quiet) {
      if (atMs - q.atMs < this.recheckMs) break;
      this.quiet.delete(id);
    }
  }

  /** Whether this agent's new poll may park without a claim check (see `quiet`); `seen`: agentNotifications read by the poll. Once per window. */
  takeQuiet(agentId: string, seen: number): boolean {
    const q = this.quiet.get(agentId);
    if (!q) return false;
    this.quiet.delete(agentId);
    return this.recheckMs !== undefined && q.notes === seen && Date.now() - q.atMs < this.recheckMs;
  }

  get agentNotifications(): number {
    return this.agentNotes;
  }

  get commandNotifications(): number {
    return this.commandNotes;
  }

  /** Wake every long poll of this agent (a command was created or became claimable). */
  notifyAgent(agentId: string): void {
    this.agentNotes++;
    this.wakeAgent(agentId, true);
  }

  /** Wake everyone waiting for this command to reach a terminal state. */
  notifyCommand(commandId: string): void {
    this.commandNotes++;
    this.wake(this.commandWaiters, commandId);
  }

  /**
   * Wake every wait, as if each had been notified: after a lost cross-node connection, when any
   * notification may have been missed. Each woken caller re-checks the database.
   */
  wakeAll(): void {
    this.agentNotes++;
    this.commandNotes++;
    for (const agentId of [...this.parked.keys()]) this.wakeAgent(agentId, true);
    for (const set of [...this.commandWaiters.values()]) for (const w of [...set]) w();
  }

  /**
   * Parks a long poll until its deadline; the hub then calls rec.settled() exactly once. `since`
   * (agentNotifications read before the caller's last claim): if any agent was notified since, the
   * record is not parked and the caller claims again (`recheck`).
   */
  park(rec: Parked, since: number): ParkOutcome {
    if (rec.waiting) throw new Error("poll parked twice");
    if (since !== this.agentNotes && !this.closed) return "recheck";
    if (this.closed || rec.client?.clientGone || rec.deadline <= Date.now()) return "over";
    rec.waiting = true;
    rec.next = this.parked.get(rec.agentId);
    this.parked.set(rec.agentId, rec);
    this.parkedCount++;
    if (rec.client) rec.client.parked = rec;
    if (!rec.inWheel) {
      // the first tick at or after the deadline (a slot is turned once `now` reaches its start)
      this.wheel[Math.ceil(rec.deadline / WHEEL_TICK_MS) % WHEEL_SLOTS]!.push(rec);
      rec.inWheel = true;
    }
    this.startWheel();
    return "parked";
  }

  /** Agents with a long poll parked right now (the node-level re-check asks the database about these). */
  parkedAgentIds(): string[] {
    return [...this.parked.keys()];
  }

  /** Long polls parked right now (between admission and answer a poll may be claiming instead). */
  get parkedPolls(): number {
    return this.parkedCount;
  }

  /** Takes one parked poll out and tells it why (woken: re-check the database; else its window ended or its client left). */
  settle(rec: Parked, woken: boolean): void {
    if (!rec.waiting) return;
    rec.waiting = false;
    this.parkedCount--;
    if (rec.client?.parked === rec) rec.client.parked = undefined;
    // unlink from the agent's list (if a wake-up has not taken the whole list already)
    let head = this.parked.get(rec.agentId);
    if (head === rec) {
      if (rec.next) this.parked.set(rec.agentId, rec.next);
      else this.parked.delete(rec.agentId);
    } else {
      while (head && head.next !== rec) head = head.next;
      if (head) head.next = rec.next;
    }
    rec.next = undefined;
    rec.settled(woken && !this.closed);
  }

  private wakeAgent(agentId: string, woken: boolean): void {
    let rec = this.parked.get(agentId);
    while (rec) {
      const next = rec.next;
      this.settle(rec, woken);
      rec = next;
    }
  }

  private startWheel(): void {
    if (this.wheelTimer) return;
    this.wheelAt = Math.floor(Date.now() / WHEEL_TICK_MS);
    this.wheelTimer = setInterval(() => this.turnWheel(), WHEEL_TICK_MS);
    this.wheelTimer.unref();
  }

  /** Ends the polls whose deadline passed, slot by slot up to now (a late timer catches up). */
  private turnWheel(): void {
    const now = Date.now();
    const to = Math.floor(now / WHEEL_TICK_MS);
    for (let at = Math.max(this.wheelAt + 1, to - WHEEL_SLOTS + 1); at <= to; at++) {
      const slot = at % WHEEL_SLOTS;
      const due = this.wheel[slot]!;
      if (due.length === 0) continue;
      const keep: Parked[] = [];
      for (const rec of due) {
        if (rec.deadline > now) {
          keep.push(rec); // a wait longer than one turn of the wheel
          continue;
        }
        rec.inWheel = false; // answered earlier (or claiming now, then finding its window over): dropped here
        if (rec.waiting) this.settle(rec, false);
      }
      this.wheel[slot] = keep;
    }
    this.wheelAt = to;
    if (this.parkedCount === 0 && this.wheel.every((s) => s.length === 0)) {
      clearInterval(this.wheelTimer);
      this.wheelTimer = undefined;
    }
  }

  /**
   * Resolves true when the command was notified (or the re-check timer is due), false on timeout, abort
   * or shutdown; with `since` (commandNotifications read earlier), true at once if any was notified since.
   */
  waitForCommand(commandId: string, timeoutMs: number, signal?: AbortSignal, since?: number): Promise<boolean> {
    if (since !== undefined && since !== this.commandNotes && !this.closed) return Promise.resolve(true);
    return this.wait(this.commandWaiters, commandId, timeoutMs, signal, true);
  }

  /**
   * Long polls in progress by agent, from admission until they answer. Counted per request, not per
   * registered waiter: a woken poll leaves the waiter set while it claims (a database round trip) and
   * re-registers, and counting waiters let new polls past the cap in that gap.
   */
  private readonly longPolls = new Map<string, number>();
  private longPollTotal = 0;

  /** Admits one long poll of this agent unless `cap` are in progress; true when admitted (then leaveLongPoll must follow). */
  enterLongPoll(agentId: string, cap: number): boolean {
    const n = this.longPolls.get(agentId) ?? 0;
    if (n >= cap) return false;
    this.longPolls.set(agentId, n + 1);
    this.longPollTotal++;
    return true;
  }

  leaveLongPoll(agentId: string): void {
    const n = this.longPolls.get(agentId) ?? 0;
    if (n <= 0) return;
    if (n === 1) this.longPolls.delete(agentId);
    else this.longPolls.set(agentId, n - 1);
    this.longPollTotal--;
  }

  /** Long polls in progress (for metrics and the cap). */
  openLongPolls(agentId?: string): number {
    return agentId ? (this.longPolls.get(agentId) ?? 0) : this.longPollTotal;
  }

  /** Ends every wait at once (shutdown: long polls answer [] immediately). */
  close(): void {
    this.closed = true;
    for (const agentId of [...this.parked.keys()]) this.wakeAgent(agentId, false);
    for (const set of this.commandWaiters.values()) for (const w of [...set]) w();
    this.commandWaiters.clear();
    clearInterval(this.wheelTimer);
    this.wheelTimer = undefined;
    for (let i = 0; i < WHEEL_SLOTS; i++) this.wheel[i] = [];
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private wake(map: Map<string, Set<Waiter>>, key: string): void {
    const set = map.get(key);
    if (!set) return;
    map.delete(key);
    for (const w of set) w();
  }

  private wait(map: Map<string, Set<Waiter>>, key: string, timeoutMs: number, signal: AbortSignal | undefined, ownRecheck: boolean): Promise<boolean> {
    if (this.closed || signal?.aborted || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let set = map.get(key);
      if (!set) map.set(key, (set = new Set()));
      const finish = (woken: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        const current = map.get(key);
        if (current) {
          current.delete(waiter);
          if (current.size === 0) map.delete(key);
        }
        resolve(woken && !this.closed);
      };
      const waiter: Waiter = () => finish(true);
      const onAbort = () => finish(false);
      // the re-check is jittered (75-125 %) so the waits parked at one moment do not re-check in lockstep
      const recheck = ownRecheck && this.recheckMs !== undefined ? this.recheckMs * (0.75 + Math.random() / 2) : Infinity;
      const timer = recheck < timeoutMs ? setTimeout(() => finish(true), recheck) : setTimeout(() => finish(false), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      set.add(waiter);
    });
  }
}
