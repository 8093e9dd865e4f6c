// The SDK's logging: the host's logger (or a quiet console), with every line redacted and every
// logger failure swallowed, so logging can neither leak a token nor break a loop.
import { redact, scrubString } from "./redact.js";
import type { JsonObject, Logger } from "./types.js";

const PREFIX = "[capstan-agent]";

/** Default: warnings and errors only, to the console. */
const toConsole = (level: "warn" | "error") => (m: string, f?: JsonObject) => console[level](PREFIX, m, ...(f ? [JSON.stringify(f)] : []));
export const quietConsole: Logger = { debug() {}, info() {}, warn: toConsole("warn"), error: toConsole("error") };

export function safeLogger(base: Logger, secrets: () => string[]): Logger {
  const wrap = (level: keyof Logger) => (message: string, fields?: JsonObject) => {
    try {
      const s = secrets();
      // no fields argument at all when there are none (hosts' loggers may print `undefined`)
      base[level](scrubString(message, s), ...(fields ? [redact(fields, s) as JsonObject] : []));
    } catch {
      // a broken host logger must not take the agent down
    }
  };
  return { debug: wrap("debug"), info: wrap("info"), warn: wrap("warn"), error: wrap("error") };
}
