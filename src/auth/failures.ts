// Unauthenticated failures (wrong logins, bad registration tokens) per client IP: anyone can send
// them, so each IP gets a bounded share of the audit log.
// - every failure is counted (totals -> capstan_auth_failures_total), refused ones included;
// - per IP and kind, the first 5 failures of a minute are audited in full; the rest are folded into
//   the next audited row's `suppressed` count (so the audit log still adds up to the metric).
// The limits themselves (the login throttle, 20 registration failures a minute per IP) hold across
// nodes in the database (auth/throttle.ts, domain/registration.ts). This sampling stays in process
// memory on purpose: it only bounds audit volume (with N nodes an IP gets at most 5N rows a minute,
// each node folding its own suppressed count, so rows + suppressed still add up to every failure),
// and keeping it here keeps a flood of refused attempts free of database writes. The totals are a
// per-process Prometheus counter by nature (the scraper sums nodes). The map is capped so spoofed
// IPs cannot grow it.
import { windowOver } from "./limits.js";

export type FailureKind = "login" | "registration";

export const AUDITED_FAILURES_PER_MINUTE = 5;
const MAX_KEYS = 10_000;

interface Entry {
  windowStart: number;
  /** Failures audited in full this window. */
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

  /** Counts one failure. A throttled one (refused unchecked) is never audited, only folded into the next row. */
  record(kind: FailureKind, ip: string, throttled = false): FailureSample {
    const t = this.now().getTime();
    const key = `${kind}:${ip}`;
    let e = this.entries.get(key);
    if (!e) e = { windowStart: t, audited: 0, suppressed: 0 };
    else if (windowOver(e.windowStart, t)) Object.assign(e, { windowStart: t, audited: 0 });
    this.entries.delete(key); // re-insert: Map order is least-recently-touched first
    this.entries.set(key, e);
    while (this.entries.size > MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);

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
