// Command loop: long-polls for commands (limit = free handler slots) and hands each to the executor
// once; results go to the outbox. If the server answers an empty long poll at once, it does not
// long-poll, and the loop falls back to polling every commandPollIntervalSeconds.
import { Backoff } from "./backoff.js";
import { AgentAuthError, NetworkError, errFields, errMsg } from "./errors.js";
import type { Core } from "./core.js";
import type { Executor, WireCommand } from "./executor.js";
import { Loop } from "./loop.js";
import type { ResultOutbox } from "./outbox.js";

const SEEN_MAX = 1000;
/** An empty answer faster than this means the server did not hold the request. */
const LONG_POLL_MIN_MS = 1000;

export class CommandLoop {
  readonly loop: Loop;
  readonly #seen = new Set<string>();
  readonly #backoff: Backoff;

  constructor(private readonly core: Core, private readonly executor: Executor, private readonly outbox: ResultOutbox) {
    this.#backoff = new Backoff(core.opts.backoffBaseMs, core.opts.backoffMaxMs);
    this.loop = new Loop("command poll", () => this.#tick(), core.log);
  }

  async #tick(): Promise<number | null> {
    const { core } = this;
    if (!core.session || core.disabled) return null;
    const free = core.opts.concurrency - this.executor.busy;
    if (free <= 0) return null; // woken when a handler finishes
    const wait = core.opts.longPollSeconds;
    const started = Date.now();
    let commands: WireCommand[];
    try {
      commands = await core.call<WireCommand[]>(`/commands?limit=${free}${wait > 0 ? `&waitSeconds=${wait}` : ""}`, {
        method: "GET", timeoutMs: core.opts.requestTimeoutMs + wait * 1000, signal: core.stopSignal,
      });
    } catch (err) {
      if (core.stopSignal.aborted) return null;
      if (err instanceof AgentAuthError) return null;
      if (err instanceof NetworkError) return err.retryAfterMs ?? this.#backoff.next();
      core.log.warn("command poll refused", errFields(err));
      return Math.max(core.pollMs, this.#backoff.next());
    }
    this.#backoff.reset();
    if (!Array.isArray(commands)) return core.pollMs;
    for (const cmd of commands) this.#dispatch(cmd);
    if (commands.length > 0) return 0;
    if (wait > 0 && Date.now() - started >= LONG_POLL_MIN_MS) return 0;
    return core.pollMs;
  }

  #dispatch(cmd: WireCommand): void {
    if (!cmd || typeof cmd.id !== "string") return;
    if (this.#seen.has(cmd.id)) {
      this.core.log.debug("duplicate command ignored", { commandId: cmd.id });
      return;
    }
    this.#seen.add(cmd.id);
    if (this.#seen.size > SEEN_MAX) this.#seen.delete(this.#seen.values().next().value as string);
    this.core.log.debug("command received", { commandId: cmd.id, type: cmd.type, actionName: cmd.actionName });
    this.executor
      .run(cmd)
      .then((result) => this.outbox.add(cmd.id, result))
      .catch((err: unknown) => this.core.log.error("command failed unexpectedly", { commandId: cmd.id, error: errMsg(err) }))
      .finally(() => this.loop.wake());
  }
}
