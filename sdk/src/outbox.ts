// Results waiting for the server's acknowledgement. Delivery is retried across outages with
// backoff; the server treats a repeated identical result as success, so "retry until acked" means
// each result is applied exactly once. Bounded: beyond the cap the oldest result is dropped (logged).
import { Backoff } from "./backoff.js";
import { AgentAuthError, CapstanError, NetworkError, failure } from "./errors.js";
import type { ResultBody } from "./executor.js";
import { Loop } from "./loop.js";
import type { Logger } from "./types.js";

export type DeliverResult = (commandId: string, body: ResultBody) => Promise<void>;

export class ResultOutbox {
  readonly #pending = new Map<string, ResultBody>();
  readonly loop: Loop;

  constructor(private readonly deliver: DeliverResult, private readonly backoff: Backoff, private readonly max: number, private readonly log: Logger) {
    this.loop = new Loop("result delivery", () => this.#tick(), log);
  }

  get size(): number {
    return this.#pending.size;
  }

  add(commandId: string, body: ResultBody): void {
    if (this.#pending.size >= this.max) {
      const oldest = this.#pending.keys().next().value as string;
      this.#pending.delete(oldest);
      this.log.error("result dropped: too many undelivered results", { commandId: oldest, max: this.max });
    }
    this.#pending.set(commandId, body);
    this.loop.wake();
  }

  /** Tries every pending result once more, for at most `ms` (agent stopping). */
  async drain(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.#pending.size > 0 && Date.now() < deadline) {
      const next = await this.#tick();
      if (next === null || this.#pending.size === 0) break;
      await new Promise((r) => setTimeout(r, Math.min(next, 250, Math.max(0, deadline - Date.now()))));
    }
    if (this.#pending.size > 0) this.log.warn("stopping with undelivered results", { count: this.#pending.size });
  }

  async #tick(): Promise<number | null> {
    for (const [commandId, body] of [...this.#pending]) {
      try {
        await this.deliver(commandId, body);
        this.#pending.delete(commandId);
        this.log.debug("result delivered", { commandId, success: body.success });
      } catch (err) {
        if (err instanceof NetworkError) return this.backoff.next();
        if (err instanceof AgentAuthError) return null; // woken again once the agent is re-authenticated
        if (err instanceof CapstanError && err.status === 413) {
          this.#pending.set(commandId, { ...body, data: {}, ...failure("COMMAND_RESULT_TOO_LARGE", "the action's result exceeded the server's limit") });
          continue;
        }
        // 404 / 409 / 410 / 422: the server will never take this result (cancelled, expired,
        // another agent's command, or a bug); keeping it would block the queue forever.
        this.#pending.delete(commandId);
        this.log.warn("result not accepted by the server; dropped", { commandId, code: err instanceof CapstanError ? err.code : "UNKNOWN" });
      }
    }
    this.backoff.reset();
    return this.#pending.size > 0 ? 0 : null; // a replaced (413) result goes out on the next run
  }
}
