// Runs one command: the action's handler (or prepare) under a timeout, a cancel and the agent's
// stop, with progress flushing, and turns whatever happens into exactly one result body.
import { AsyncLocalStorage } from "node:async_hooks";
import { sleep } from "./backoff.js";
import { CapstanError, errMsg, failure } from "./errors.js";
import { defaultsFromSchema } from "./manifest.js";
import { ProgressReporter, type SendProgress } from "./progress.js";
import { scrubSecrets } from "./redact.js";
import type { IsolatePool } from "./isolate.js";
import type { ActionContext, ActionDefinition, ActionResult, JsonObject, LogLevel, Logger, RetryPolicy, RunMetrics } from "./types.js";

/**
 * Isolation is opt-in, so its Worker pool lives in a module of its own (dist/isolate.mjs / .cjs next
 * to the bundle, build.mjs), loaded the first time an isolated action needs it: hosts that isolate
 * nothing never load it, and the main bundle stays inside its size budget.
 */
let isolation: Promise<typeof import("./isolate.js")> | undefined;
const loadIsolation = () => (isolation ??= import("./isolate.js"));

export interface WireCommand {
  id: string;
  type: "ACTION_PREPARE" | "ACTION_EXECUTE" | "MESSAGE";
  actionName: string;
  payload?: JsonObject | null;
}

export interface ResultBody extends ActionResult {
  startedAt: string;
  finishedAt: string;
  metrics: RunMetrics;
}

/** The command a handler runs for, so publishEvent can fill metadata.causationId. */
export const commandScope = new AsyncLocalStorage<{ owner: object; commandId: string }>();

const RESULT_MAX_BYTES = 1_000_000;
const DEFAULT_TIMEOUT_SECONDS = 300;

export interface ExecutorDeps {
  owner: object;
  actions: Map<string, ActionDefinition>;
  /** The onMessage handler as an action (MESSAGE commands), if one is registered. */
  messageAction: () => ActionDefinition | undefined;
  sendProgress: SendProgress;
  log: Logger;
  now: () => Date;
  secrets: () => string[];
  progressIntervalMs: number;
  cancelGraceMs: number;
}

/** Per command: the attempts run so far and the largest Worker heap seen (bytes). */
type Trace = { attempts: number; heap?: number };

export class Executor {
  readonly #running = new Map<string, AbortController>();
  readonly #pools = new Map<string, IsolatePool>();
  constructor(private readonly deps: ExecutorDeps) {}

  get busy(): number {
    return this.#running.size;
  }

  /** Aborts every running handler (agent stopping). */
  abortAll(code: string, message: string): void {
    for (const c of this.#running.values()) c.abort(new CapstanError(code, message));
  }

  /** The Worker pool of an isolated action (replaced when the action was registered anew). */
  async pool(action: ActionDefinition): Promise<IsolatePool | undefined> {
    const current = this.#pools.get(action.name);
    if (current?.opts === action.isolate) return current;
    current?.close();
    this.#pools.delete(action.name);
    if (!action.isolate) return undefined;
    const { IsolatePool } = await loadIsolation();
    let p = this.#pools.get(action.name); // made by a concurrent call meanwhile?
    if (p?.opts !== action.isolate) this.#pools.set(action.name, (p = new IsolatePool(action.isolate, action.name, toResult)));
    return p;
  }

  /** Starts one Worker per isolated action (agent start); close() ends them all (agent stop). */
  warm(): void {
    for (const a of this.deps.actions.values()) {
      if (a.isolate) this.pool(a).then((p) => p?.warm(), (err: unknown) => this.deps.log.warn(`isolation unavailable: ${errMsg(err)}`));
    }
  }
  close(): void {
    for (const p of this.#pools.values()) p.close();
    this.#pools.clear();
  }

  async run(cmd: WireCommand): Promise<ResultBody> {
    const startedAt = this.deps.now().toISOString();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const controller = new AbortController();
    const trace: Trace = { attempts: 0 };
    this.#running.set(cmd.id, controller);
    try {
      const outcome = await this.#execute(cmd, controller, trace);
      const result = scrubSecrets(outcome, this.deps.secrets());
      const cpu = process.cpuUsage(cpu0);
      const r1 = (v: number) => Math.round(v * 10) / 10;
      const metrics: RunMetrics = { attempts: trace.attempts, durationMs: r1(performance.now() - t0), cpuUserMs: r1(cpu.user / 1000), cpuSystemMs: r1(cpu.system / 1000) };
      if (trace.heap) metrics.peakHeapMb = r1(trace.heap / 1048576);
      return { ...fitResult(result), startedAt, finishedAt: this.deps.now().toISOString(), metrics };
    } finally {
      this.#running.delete(cmd.id);
    }
  }

  /**
   * Prepare once; execute once, or (retry declared) again while an attempt fails with a code listed
   * in `on`, after backoffSeconds. Each attempt has its own timeout; a cancel or stop ends them all.
   */
  async #execute(cmd: WireCommand, controller: AbortController, trace: Trace): Promise<ActionResult> {
    const action = cmd.type === "MESSAGE" ? this.deps.messageAction() : this.deps.actions.get(cmd.actionName);
    if (!action) {
      return cmd.type === "MESSAGE" ? failure("MESSAGE_HANDLER_MISSING", "this agent has no onMessage handler")
        : failure("ACTION_NOT_FOUND", `this agent has no action "${cmd.actionName}"`);
    }
    const progress = new ProgressReporter(
      cmd.id, this.deps.sendProgress, this.deps.progressIntervalMs,
      (why) => controller.abort(new CapstanError("CANCELLED", why)), this.deps.log, this.deps.now,
    );
    const retry = cmd.type === "ACTION_EXECUTE" ? action.retry : undefined;
    const max = retryAttempts(retry);
    progress.start();
    try {
      for (;;) {
        trace.attempts++;
        const r = await this.#attempt(cmd, action, controller.signal, progress, trace);
        const code = r.error?.code ?? "";
        const last = r.success || trace.attempts >= max || !(retry?.on ?? ["ACTION_TIMEOUT", "ACTION_FAILED"]).includes(code) || controller.signal.aborted;
        const wait = retryBackoffSeconds(retry);
        if (max > 1) progress.append(r.success ? "info" : "warn", `attempt ${trace.attempts} of ${max}: ${r.success ? "succeeded" : `${code} ${r.error?.message}`}${last ? "" : `; retrying in ${wait} s`}`);
        if (last) return r;
        await sleep(wait * 1000, controller.signal);
        if (controller.signal.aborted) return r;
      }
    } finally {
      await progress.finish();
    }
  }

  /** One run of the handler (in process or in a Worker) under its own timeout. */
  async #attempt(cmd: WireCommand, action: ActionDefinition, outer: AbortSignal, progress: ProgressReporter, trace: Trace): Promise<ActionResult> {
    const payload = (cmd.payload ?? {}) as JsonObject;
    const timeoutSeconds = action.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    const controller = new AbortController();
    const follow = () => controller.abort(outer.reason);
    if (outer.aborted) follow();
    else outer.addEventListener("abort", follow, { once: true });
    const timer = setTimeout(
      () => controller.abort(new CapstanError("ACTION_TIMEOUT", `action "${action.name}" exceeded its ${timeoutSeconds} s timeout`)),
      timeoutSeconds * 1000,
    );
    timer.unref?.();
    const bridge = { progress: (percent: number, message?: string) => progress.set(percent, message), log: (level: LogLevel, message: string) => progress.append(level, message) };
    const ctx: ActionContext = { commandId: cmd.id, actionName: cmd.actionName, payload, signal: controller.signal, ...bridge };
    let kill: (() => void) | undefined;
    try {
      const pool = cmd.type === "ACTION_EXECUTE" && action.isolate ? await this.pool(action).catch((err: unknown) => fromError(err)) : undefined;
      if (pool && !("run" in pool)) return pool; // the isolation module could not be loaded
      const work = commandScope.run({ owner: this.deps.owner, commandId: cmd.id }, () => {
        if (cmd.type === "ACTION_PREPARE") return this.#prepare(action, ctx);
        if (!pool) return Promise.resolve().then(() => action.handler!(payload, ctx)).then(toResult);
        const [done, stop] = pool.run(cmd.id, payload, bridge, controller.signal);
        kill = stop;
        return done.then(([r, heap = 0]) => {
          trace.heap = Math.max(trace.heap ?? 0, heap);
          return r;
        });
      }).catch(fromError);
      return await settle(work, controller.signal, this.deps.cancelGraceMs);
    } finally {
      kill?.(); // a Worker still running now (timeout, cancel grace over, stop) is terminated
      clearTimeout(timer);
      outer.removeEventListener("abort", follow);
    }
  }

  async #prepare(action: ActionDefinition, ctx: ActionContext): Promise<ActionResult> {
    const answer = await action.prepare?.(ctx);
    const data: JsonObject = { initialPayload: answer?.initialPayload ?? defaultsFromSchema(action.inputSchema) };
    if (answer?.currentState !== undefined) data.currentState = answer.currentState;
    return { success: true, data };
  }
}

/** 1..5 attempts when retry is declared, else 1. */
export const retryAttempts = (r: RetryPolicy | undefined): number => (r ? Math.max(1, Math.min(5, Math.floor(r.maxAttempts) || 1)) : 1);
export const retryBackoffSeconds = (r: RetryPolicy | undefined): number => Math.max(0, Math.min(3600, r?.backoffSeconds ?? 1));


/**
 * The handler's own result, unless the signal aborts first. A timeout or a stop is reported at
 * once (the handler may ignore its signal; its late answer is dropped). A cancel gives the handler
 * a grace period to return its own result, since it usually knows best what it left undone.
 */
async function settle(work: Promise<ActionResult>, signal: AbortSignal, cancelGraceMs: number): Promise<ActionResult> {
  let onAbort!: () => void;
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    if (signal.aborted) resolve("aborted");
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  const first = await Promise.race([work, aborted]);
  signal.removeEventListener("abort", onAbort);
  if (first !== "aborted") return first;
  const reason = signal.reason instanceof CapstanError ? signal.reason : new CapstanError("CANCELLED", "aborted");
  if (reason.code === "CANCELLED") {
    // the grace timer is unref'd and left to run out: it resolves nothing once the handler answered
    const late = await Promise.race([work, sleep(cancelGraceMs)]);
    if (late) return late;
  }
  return failure(reason.code, reason.message);
}


function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A handler's return value as a result: result objects pass through, anything else is data. */
export function toResult(value: unknown): ActionResult {
  if (isPlainObject(value) && typeof value.success === "boolean") {
    const r: ActionResult = { success: value.success };
    if (typeof value.message === "string") r.message = value.message;
    if (isPlainObject(value.data)) r.data = value.data;
    else if (value.data !== undefined) r.data = { value: value.data };
    if (isPlainObject(value.error)) {
      const e = value.error;
      r.error = { code: typeof e.code === "string" ? e.code : "ACTION_FAILED", message: typeof e.message === "string" ? e.message : r.message ?? "action failed" };
      if (isPlainObject(e.details)) r.error.details = e.details;
    } else if (!r.success) r.error = { code: "ACTION_FAILED", message: r.message ?? "action failed" };
    return r;
  }
  if (value === undefined || value === null) return { success: true };
  // The contract's result data is an object; other values are wrapped rather than refused.
  return { success: true, data: isPlainObject(value) ? value : { value } };
}

export function fromError(err: unknown): ActionResult {
  const code = typeof (err as { code?: unknown })?.code === "string" ? (err as { code: string }).code : "ACTION_FAILED";
  const message = errMsg(err);
  return failure(code, message || "action failed");
}

/** The server refuses results over 1,000,000 bytes; send a failure that says so instead of looping on 413. */
function fitResult(r: ActionResult): ActionResult {
  const size = Buffer.byteLength(JSON.stringify({ message: r.message, data: r.data, error: r.error }));
  if (size <= RESULT_MAX_BYTES) return r;
  return failure("COMMAND_RESULT_TOO_LARGE", `the action's result is ${size} bytes; the limit is ${RESULT_MAX_BYTES}`);
}
