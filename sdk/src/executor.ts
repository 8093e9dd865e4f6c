// Runs one command: the action's handler (or prepare) under a timeout, a cancel and the agent's
// stop, with progress flushing, and turns whatever happens into exactly one result body.
import { AsyncLocalStorage } from "node:async_hooks";
import { CapstanError } from "./errors.js";
import { defaultsFromSchema } from "./manifest.js";
import { ProgressReporter, type SendProgress } from "./progress.js";
import { scrubSecrets } from "./redact.js";
import type { ActionContext, ActionDefinition, ActionResult, JsonObject, Logger } from "./types.js";

export interface WireCommand {
  id: string;
  type: "ACTION_PREPARE" | "ACTION_EXECUTE" | "MESSAGE";
  actionName: string;
  payload?: JsonObject | null;
}

export interface ResultBody extends ActionResult {
  startedAt: string;
  finishedAt: string;
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

export class Executor {
  readonly #running = new Map<string, AbortController>();
  constructor(private readonly deps: ExecutorDeps) {}

  get busy(): number {
    return this.#running.size;
  }

  /** Aborts every running handler (agent stopping). */
  abortAll(code: string, message: string): void {
    for (const c of this.#running.values()) c.abort(new CapstanError(code, message));
  }

  async run(cmd: WireCommand): Promise<ResultBody> {
    const startedAt = this.deps.now().toISOString();
    const controller = new AbortController();
    this.#running.set(cmd.id, controller);
    try {
      const outcome = await this.#execute(cmd, controller);
      const result = scrubSecrets(outcome, this.deps.secrets());
      return { ...fitResult(result), startedAt, finishedAt: this.deps.now().toISOString() };
    } finally {
      this.#running.delete(cmd.id);
    }
  }

  async #execute(cmd: WireCommand, controller: AbortController): Promise<ActionResult> {
    const action = cmd.type === "MESSAGE" ? this.deps.messageAction() : this.deps.actions.get(cmd.actionName);
    if (!action) {
      return cmd.type === "MESSAGE" ? failure("MESSAGE_HANDLER_MISSING", "this agent has no onMessage handler")
        : failure("ACTION_NOT_FOUND", `this agent has no action "${cmd.actionName}"`);
    }
    const payload = (cmd.payload ?? {}) as JsonObject;
    const timeoutSeconds = action.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    const timer = setTimeout(
      () => controller.abort(new CapstanError("ACTION_TIMEOUT", `action "${action.name}" exceeded its ${timeoutSeconds} s timeout`)),
      timeoutSeconds * 1000,
    );
    timer.unref?.();
    const progress = new ProgressReporter(
      cmd.id, this.deps.sendProgress, this.deps.progressIntervalMs,
      (why) => controller.abort(new CapstanError("CANCELLED", why)), this.deps.log, this.deps.now,
    );
    const ctx: ActionContext = {
      commandId: cmd.id, actionName: cmd.actionName, payload, signal: controller.signal,
      progress: (percent, message) => progress.set(percent, message),
      log: (level, message) => progress.append(level, message),
    };
    progress.start();
    try {
      const work = commandScope.run({ owner: this.deps.owner, commandId: cmd.id }, () =>
        cmd.type === "ACTION_PREPARE" ? this.#prepare(action, ctx) : Promise.resolve().then(() => action.handler(payload, ctx)).then(toResult),
      ).catch(fromError);
      return await settle(work, controller.signal, this.deps.cancelGraceMs);
    } finally {
      clearTimeout(timer);
      await progress.finish();
    }
  }

  async #prepare(action: ActionDefinition, ctx: ActionContext): Promise<ActionResult> {
    const answer = action.prepare
      ? await action.prepare({ commandId: ctx.commandId, actionName: ctx.actionName, payload: ctx.payload, signal: ctx.signal })
      : undefined;
    const data: JsonObject = { initialPayload: answer?.initialPayload ?? defaultsFromSchema(action.inputSchema) };
    if (answer?.currentState !== undefined) data.currentState = answer.currentState;
    return { success: true, data };
  }
}

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
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), cancelGraceMs);
      timer.unref?.();
    });
    const late = await Promise.race([work, grace]);
    clearTimeout(timer);
    if (late) return late;
  }
  return failure(reason.code, reason.message);
}

const failure = (code: string, message: string): ActionResult => ({ success: false, message, error: { code, message } });

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
  const message = err instanceof Error ? err.message : String(err);
  return failure(code, message || "action failed");
}

/** The server refuses results over 1,000,000 bytes; send a failure that says so instead of looping on 413. */
function fitResult(r: ActionResult): ActionResult {
  const size = Buffer.byteLength(JSON.stringify({ message: r.message, data: r.data, error: r.error }));
  if (size <= RESULT_MAX_BYTES) return r;
  return failure("COMMAND_RESULT_TOO_LARGE", `the action's result is ${size} bytes; the limit is ${RESULT_MAX_BYTES}`);
}
