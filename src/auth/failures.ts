// Unauthenticated failures (wrong logins, bad registration tokens) per client IP: anyone can send
// them, so each IP gets a bounded share of the audit log and, for registrations, of the server.
// - every failure is counted (totals -> capstan_auth_failures_total), refused ones included;
// - per IP and kind, the first 5 failures of a minute are audited in full; the rest are folded into
//   the next audited row's `suppressed` count (so the audit log still adds up to the metric);
// - registration: after 20 failures in a minute an IP is refused with 429 until the minute ends
//   (logins have their own, stricter LoginThrottle).
// In memory by design, like the login throttle; the map is capped so spoofed IPs cannot grow it.
export type FailureKind = "login" | "registration";

const WINDOW_MS = 60_000;
export const AUDITED_FAILURES_PER_MINUTE = 5;
export const REGISTRATION_FAILURES_PER_MINUTE = 20;
const MAX_KEYS = 10_000;

interface Entry {
  windowStart: number;
  failures: number;
  audited: number;
  /** Failures not audited since the last audited row of this IP and kind. */
  suppressed: number;
}

/** Whether to write this failure's audit row, and how many unaudited failures it stands for besides itself. */
export interface FailureSample {
  audit: boolean;
  suppressed: number;
}

export class AuthFailures {
  private readonly entries = new Map<string, Entry>();
  /** Since start: all failures by kind, and the part of them refused (429) without being checked. */
  readonly totals: Record<FailureKind, { failures: number; throttled: number }> = {
    login: { failures: 0, throttled: 0 },
    registration: { failures: 0, throttled: 0 },
  };

  constructor(private readonly now: () => Date) {}

  /** Seconds until this IP may try again, once it has used up `limit` failures this minute; 0 when allowed. */
  retryAfterSeconds(kind: FailureKind, ip: string, limit: number): number {
    const t = this.now().getTime();
    const e = this.entries.get(`${kind}:${ip}`);
    if (!e || t - e.windowStart >= WINDOW_MS || e.failures < limit) return 0;
    return Math.max(1, Math.ceil((e.windowStart + WINDOW_MS - t) / 1000));
  }

  /** Counts one failure. A throttled one (refused unchecked) is never audited, only folded into the next row. */
  record(kind: FailureKind, ip: string, throttled = false): FailureSample {
    const t = this.now().getTime();
    const key = `${kind}:${ip}`;
    let e = this.entries.get(key);
    if (!e) e = { windowStart: t, failures: 0, audited: 0, suppressed: 0 };
    else if (t - e.windowStart >= WINDOW_MS) Object.assign(e, { windowStart: t, failures: 0, audited: 0 });
    this.entries.delete(key); // re-insert: Map order is least-recently-touched first
    this.entries.set(key, e);
    while (this.entries.size > MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);

    e.failures++;
    this.totals[kind].failures++;
    if (throttled) this.totals[kind].throttled++;
    if (throttled || e.audited >= AUDITED_FAILURES_PER_MINUTE) {
      e.suppressed++;
      return { audit: false, suppressed: 0 };
    }
    e.audited++;
    const suppressed = e.suppressed;
    e.suppressed = 0;
    return { audit: true, suppressed };
  }
}
