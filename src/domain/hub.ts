// The one place where requests wait: long polls wait for "a command was created for agent X";
// prepare waits for "command Y finished". Wake-ups come from this process (after its commits) and,
// when several nodes share a PostgreSQL database, from the other nodes (domain/wakeups.ts relays
// their NOTIFYs here). Because a relayed wake-up can be lost (listener reconnect), waits on a shared
// database are also re-checked (`recheckMs`), so a lost one delays a command, never loses it: prepare
// waits (few) each on their own timer; parked long polls (up to one per agent) by one query per node
// and interval (domain/wakeups.ts: which parked agents have a PENDING command), never one per poll.
//
// A parked long poll is one small record (Parked): no timer, closure or AbortController of its own.
// One timer wheel ends the polls whose window is over, and the request's existing close handler
// (app.ts) reaches the record directly when the client leaves (ClientLink). 10,000 parked polls are
// 10,000 records and one interval, not 10,000 timers, signals and listener chains (issue #16).
type Waiter = () => void;

/** What the hub needs of a waiting request: whether its client left, and where to say that it did. */
export interface ClientLink {
  readonly clientGone: boolean;
  /** Set by the hub while the request is parked; app.ts calls clientLeft() when the connection closes. */
  parked?: { clientLeft(): void } | undefined;
}

/** The wheel's resolution: a poll answers [] at most this much after its window ends. */
const WHEEL_TICK_MS = 250;
/** Slots: 64 s (> MAX_WAIT_SECONDS); a longer wait goes round the wheel again. */
const WHEEL_SLOTS = 256;

class Parked {
  /** The agent's other parked polls (a short list: at most maxLongPollsPerAgent). */
  next: Parked | undefined = undefined;
  constructor(
    readonly hub: CommandHub,
    readonly agentId: string,
    readonly deadline: number,
    public resolve: ((woken: boolean) => void) | undefined,
    readonly client: ClientLink | undefined,
  ) {}

  clientLeft(): void {
    this.hub.settle(this, false);
  }
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
   * unnecessary and passes it to wait*(): with async database calls a notification can land between
   * that work and registering the waiter, and must not be missed (the wait then returns at once).
   */
  private agentNotes = 0;
  private commandNotes = 0;
  /**
   * Set when other nodes can change the database (domain/wakeups.ts): a wait then also resolves true
   * (re-check) after about this long. Unset on SQLite, where every change passes through this process's
   * hub, so a re-check could only find what a wake-up already announced.
   */
  recheckMs: number | undefined;

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
   * Resolves true when woken (or when the re-check timer is due: the caller re-checks the database and
   * waits again for the rest of its window), false on timeout, abort or shutdown. With `since` (agentNotifications
   * read earlier), resolves true at once if any agent was notified since: the caller re-checks.
   */
  waitForAgent(agentId: string, timeoutMs: number, client?: ClientLink, since?: number): Promise<boolean> {
    if (since !== undefined && since !== this.agentNotes && !this.closed) return Promise.resolve(true);
    if (this.closed || client?.clientGone || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const rec = new Parked(this, agentId, Date.now() + timeoutMs, resolve, client);
      rec.next = this.parked.get(agentId);
      this.parked.set(agentId, rec);
      this.parkedCount++;
      if (client) client.parked = rec;
      // the first tick at or after the deadline (a slot is turned once `now` reaches its start)
      this.wheel[Math.ceil(rec.deadline / WHEEL_TICK_MS) % WHEEL_SLOTS]!.push(rec);
      this.startWheel();
    });
  }

  /** Agents with a long poll parked right now (the node-level re-check asks the database about these). */
  parkedAgentIds(): string[] {
    return [...this.parked.keys()];
  }

  /** Long polls parked right now (between admission and answer a poll may be claiming instead). */
  get parkedPolls(): number {
    return this.parkedCount;
  }

  /** Answers one parked poll (woken: re-check the database; else its window ended or its client left). */
  settle(rec: Parked, woken: boolean): void {
    const resolve = rec.resolve;
    if (!resolve) return;
    rec.resolve = undefined;
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
    resolve(woken && !this.closed);
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
        if (!rec.resolve) continue; // answered earlier: dropped from the wheel here
        if (rec.deadline <= now) this.settle(rec, false);
        else keep.push(rec); // a wait longer than one turn of the wheel
      }
      this.wheel[slot] = keep;
    }
    this.wheelAt = to;
    if (this.parkedCount === 0 && this.wheel.every((s) => s.length === 0)) {
      clearInterval(this.wheelTimer);
      this.wheelTimer = undefined;
    }
  }

  /** As waitForAgent, with `since` read from commandNotifications. */
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
