// A background loop on setTimeout (never setInterval): the next run is scheduled only after the
// current one finished, so slow backends never cause overlapping calls. Timers are unref'd: the
// SDK never keeps its host alive. A tick returns the delay until the next run, or null to sleep
// until woken. Errors are logged and never leave the loop.
import { errMsg } from "./errors.js";
import type { Logger } from "./types.js";

export type Tick = () => Promise<number | null>;

const AFTER_CRASH_MS = 5_000;

export class Loop {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #stopped = true;
  #wakeRequested = false;

  constructor(private readonly name: string, private readonly tick: Tick, private readonly log: Logger) {}

  /** delayMs null: started but asleep until woken. */
  start(delayMs: number | null = 0): void {
    if (!this.#stopped) return this.wake();
    this.#stopped = false;
    if (delayMs !== null) this.#schedule(delayMs);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Run now (or right after the current run). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#wakeRequested = true;
      return;
    }
    this.#schedule(0);
  }

  get isRunning(): boolean {
    return !this.#stopped;
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#run(), Math.max(0, ms));
    this.#timer.unref?.();
  }

  async #run(): Promise<void> {
    this.#timer = undefined;
    this.#running = true;
    let next: number | null;
    try {
      next = await this.tick();
    } catch (err) {
      this.log.error(`${this.name} loop failed; retrying`, { error: errMsg(err) });
      next = AFTER_CRASH_MS;
    }
    this.#running = false;
    if (this.#stopped) return;
    if (this.#wakeRequested) {
      this.#wakeRequested = false;
      next = 0;
    }
    if (next !== null) this.#schedule(next);
  }
}
