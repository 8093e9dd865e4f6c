// The one place where requests wait: long polls wait for "a command was created for agent X";
// prepare waits for "command Y finished". Wake-ups come from this process (after its commits) and,
// when several nodes share a PostgreSQL database, from the other nodes (domain/wakeups.ts relays
// their NOTIFYs here). Because a relayed wake-up can be lost (listener reconnect), waits on a shared
// database are also re-checked (`recheckMs`), so a lost one delays a command, never loses it: prepare
// waits (few) each on their own timer; parked long polls (up to one per agent) by one query per node
// and interval (domain/wakeups.ts: which parked agents have a PENDING command), never one per poll.
type Waiter = () => void;

export class CommandHub {
  private readonly agentWaiters = new Map<string, Set<Waiter>>();
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
    this.wake(this.agentWaiters, agentId);
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
    for (const map of [this.agentWaiters, this.commandWaiters]) {
      for (const set of [...map.values()]) for (const w of [...set]) w();
    }
  }

  /**
   * Resolves true when woken (or when the re-check timer is due: the caller re-checks the database and
   * waits again for the rest of its window), false on timeout, abort or shutdown. With `since` (agentNotifications
   * read earlier), resolves true at once if any agent was notified since: the caller re-checks.
   */
  waitForAgent(agentId: string, timeoutMs: number, signal?: AbortSignal, since?: number): Promise<boolean> {
    if (since !== undefined && since !== this.agentNotes && !this.closed) return Promise.resolve(true);
    return this.wait(this.agentWaiters, agentId, timeoutMs, signal, false);
  }

  /** Agents with a long poll parked right now (the node-level re-check asks the database about these). */
  parkedAgentIds(): string[] {
    return [...this.agentWaiters.keys()];
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
    for (const map of [this.agentWaiters, this.commandWaiters]) {
      for (const set of map.values()) for (const w of [...set]) w();
      map.clear();
    }
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
