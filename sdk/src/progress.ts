// Progress of one running command: buffers percent/message/log lines from the handler and flushes
// them every interval. Each flush (or an empty one after a quiet second) doubles as the cancel
// check: the server answers `cancelRequested`, which is how a console cancel reaches the handler.
import { CapstanError, NetworkError, errMsg } from "./errors.js";
import type { LogLevel, Logger } from "./types.js";

export interface ProgressBody {
  percent?: number;
  message?: string;
  logs?: { at: string; level: LogLevel; message: string }[];
}
export type SendProgress = (commandId: string, body: ProgressBody) => Promise<{ cancelRequested?: boolean } | undefined>;

const MAX_BUFFERED_LINES = 1000;
const MAX_LINE_CHARS = 8192;
const MAX_MESSAGE_CHARS = 1000;
/** The server takes at most this many lines per call; the rest go with the next flush. */
const LINES_PER_CALL = 500;
const QUIET_CHECK_MS = 1000;

export class ProgressReporter {
  #percent: number | undefined;
  #message: string | undefined;
  #lines: { at: string; level: LogLevel; message: string }[] = [];
  #dirty = false;
  #lastSent = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sending: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly commandId: string,
    private readonly send: SendProgress,
    private readonly intervalMs: number,
    /** Called once when the server says the command was cancelled or is no longer running. */
    private readonly onCancel: (why: string) => void,
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {}

  start(): void {
    this.#lastSent = Date.now();
    this.#schedule();
  }

  /** percent in 0..1 (clamped), as on the wire. */
  set(percent: number, message?: string): void {
    if (Number.isFinite(percent)) this.#percent = Math.round(Math.min(1, Math.max(0, percent)) * 1000) / 1000;
    if (message !== undefined) this.#message = String(message).slice(0, MAX_MESSAGE_CHARS);
    this.#dirty = true;
  }

  append(level: LogLevel, message: string): void {
    if (this.#lines.length >= MAX_BUFFERED_LINES) this.#lines.shift(); // the server keeps the newest too
    this.#lines.push({ at: this.now().toISOString(), level, message: String(message).slice(0, MAX_LINE_CHARS) });
    this.#dirty = true;
  }

  /** Sends whatever is buffered (once, best effort) and stops the timer: the result follows. */
  async finish(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#sending;
    if (this.#dirty) await this.#flush();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), this.intervalMs);
    this.#timer.unref?.();
  }

  async #tick(): Promise<void> {
    if (this.#dirty || Date.now() - this.#lastSent >= QUIET_CHECK_MS) {
      this.#sending = this.#flush();
      await this.#sending;
      this.#sending = undefined;
    }
    this.#schedule();
  }

  async #flush(): Promise<void> {
    const body: ProgressBody = {};
    if (this.#percent !== undefined) body.percent = this.#percent;
    if (this.#message !== undefined) body.message = this.#message;
    const lines = this.#lines.slice(0, LINES_PER_CALL);
    if (lines.length > 0) body.logs = lines;
    this.#lines = this.#lines.slice(LINES_PER_CALL);
    this.#dirty = this.#lines.length > 0;
    this.#lastSent = Date.now();
    try {
      const answer = await this.send(this.commandId, body);
      if (answer?.cancelRequested) this.onCancel("cancelled by an operator");
    } catch (err) {
      if (err instanceof NetworkError) {
        // Keep the lines for the next flush; duplicates are possible if only the answer was lost.
        this.#lines = lines.concat(this.#lines).slice(-MAX_BUFFERED_LINES);
        this.#dirty = true;
      } else if (err instanceof CapstanError && (err.status === 404 || err.status === 409 || err.status === 410)) {
        this.onCancel(`the server no longer runs this command (${err.code})`);
      }
      this.log.debug("progress not delivered", { commandId: this.commandId, error: errMsg(err) });
    }
  }
}
