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
/**
 * How long a long poll may take beyond its wait. The server's wait starts when it reads the request,
 * not when the agent sends it: while a whole fleet connects (a restart, a failover), a node's accept
 * queue overflows, the kernel drops SYNs and clients retry after 1, 3, 7 s, so a poll can reach the
 * server 10-15 s late. With only requestTimeoutMs (10 s) of margin such polls time out although the
 * server answers each in time, every such agent reconnects at once, and the burst repeats
 * (docs/benchmarks.md, "held fleet"). 30 s covers the kernel's SYN retries up to 15 s and a busy node.
 */
export const LONG_POLL_MARGIN_MS = 30_000;

/** The client-side timeout of a long poll that asks the server to wait `waitSeconds`. */
export const longPollTimeoutMs = (waitSeconds: number, requestTimeoutMs: number): number =>
  waitSeconds > 0 ? waitSeconds * 1000 + Math.max(requestTimeoutMs, LONG_POLL_MARGIN_MS) : requestTimeoutMs;

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
        method: "GET", timeoutMs: longPollTimeoutMs(wait, core.opts.requestTimeoutMs), signal: core.stopSignal,
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
