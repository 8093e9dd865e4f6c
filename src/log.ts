// A tiny structured logger: one line per event, JSON or pretty. Callers never pass secrets; the
// access log only carries route patterns, never query strings, bodies or headers.
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/**
 * Lines to stderr, written once per event-loop turn: stderr is synchronous on Linux (files and pipes), so
 * a write per line was a system call per request in the access log. Whatever is pending is written at
 * exit (process.exit, a crash), so nothing logged is lost by the batching; a SIGKILL loses at most the
 * lines of the turn it interrupts.
 */
function batchedStderr(): (line: string) => void {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const out = pending.join("\n") + "\n";
    pending = [];
    process.stderr.write(out);
  };
  process.on("exit", flush);
  return (line) => {
    pending.push(line);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}

export function createLogger(opts: { level: LogLevel; format: "pretty" | "json"; write?: (line: string) => void }): Logger {
  const write = opts.write ?? batchedStderr();
  const emit = (level: Exclude<LogLevel, "silent">, msg: string, fields?: LogFields) => {
    if (RANK[level] < RANK[opts.level]) return;
    if (opts.format === "json") {
      // the fields' own JSON spliced after time/level/msg: no merged copy of every access-log line's fields
      const head = `{"time":"${new Date().toISOString()}","level":"${level}","msg":${JSON.stringify(msg)}`;
      const rest = fields ? JSON.stringify(fields) : "{}";
      write(rest === "{}" ? `${head}}` : `${head},${rest.slice(1)}`);
    } else {
      const extra = fields ? " " + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ") : "";
      write(`${new Date().toISOString().slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}${extra}`);
    }
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
