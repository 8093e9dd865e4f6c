// The host's health check, made safe to call before every heartbeat: time-limited, a throw or a
// timeout reports DOWN, an invalid answer UNKNOWN, and without a check the live process counts as UP.
import { errMsg } from "./errors.js";
import { scrubSecrets } from "./redact.js";
import type { HealthReport } from "./types.js";

const STATUSES = new Set(["UP", "DEGRADED", "DOWN", "UNKNOWN"]);
const MAX_MESSAGE = 1000;

export async function runHealthCheck(
  fn: (() => HealthReport | Promise<HealthReport>) | undefined, timeoutMs: number, secrets: string[],
): Promise<HealthReport> {
  if (!fn) return { status: "UP", message: "process alive (no health check registered)" };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      timer.unref?.();
    });
    const r = await Promise.race([Promise.resolve().then(fn), timeout]);
    if (!r || !STATUSES.has(r.status)) return { status: "UNKNOWN", message: "the health check returned no valid status" };
    const out: HealthReport = { status: r.status };
    if (typeof r.message === "string") out.message = r.message.slice(0, MAX_MESSAGE);
    if (r.details && typeof r.details === "object" && !Array.isArray(r.details)) out.details = r.details;
    return scrubSecrets(out, secrets);
  } catch (err) {
    return { status: "DOWN", message: `health check failed: ${errMsg(err)}`.slice(0, MAX_MESSAGE) };
  } finally {
    clearTimeout(timer);
  }
}
