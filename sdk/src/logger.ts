// The SDK's logging: the host's logger (or a quiet console), with every line redacted and every
// logger failure swallowed, so logging can neither leak a token nor break a loop.
import { redact, scrubString } from "./redact.js";
import type { JsonObject, Logger } from "./types.js";

const PREFIX = "[capstan-agent]";

/** Default: warnings and errors only, to the console. */
export const quietConsole: Logger = {
  debug() {},
  info() {},
  warn: (m, f) => console.warn(PREFIX, m, ...(f ? [JSON.stringify(f)] : [])),
  error: (m, f) => console.error(PREFIX, m, ...(f ? [JSON.stringify(f)] : [])),
};

export function safeLogger(base: Logger, secrets: () => string[]): Logger {
  const wrap = (level: keyof Logger) => (message: string, fields?: JsonObject) => {
    try {
      const s = secrets();
      const f = fields ? (redact(fields, s) as JsonObject) : undefined;
      if (f) base[level](scrubString(message, s), f);
      else base[level](scrubString(message, s));
    } catch {
      // a broken host logger must not take the agent down
    }
  };
  return { debug: wrap("debug"), info: wrap("info"), warn: wrap("warn"), error: wrap("error") };
}
