// Login throttling: after 5 failures for a username (from one IP) or for an IP within 15 minutes,
// refuse further attempts for an exponentially growing time. The username counter is kept per
// client IP so that an attacker hammering "admin" cannot lock the real owner out from elsewhere. In memory by design: a restart forgives, which is
// acceptable for a single-node tool, and nothing an attacker sends can grow the maps unboundedly.
const WINDOW_MS = 15 * 60_000;
const FREE_FAILURES = 5;
const BASE_LOCK_MS = 30_000;
const MAX_LOCK_MS = 60 * 60_000;
const MAX_KEYS = 50_000;

interface Entry {
  failures: number;
  firstAt: number;
  lockedUntil: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly now: () => Date) {}

  /** Seconds to wait before another attempt is allowed for this user or IP; 0 when allowed. */
  retryAfterSeconds(username: string, ip: string): number {
    const t = this.now().getTime();
    let wait = 0;
    for (const key of this.keys(username, ip)) {
      const e = this.entries.get(key);
      if (e && e.lockedUntil > t) wait = Math.max(wait, Math.ceil((e.lockedUntil - t) / 1000));
    }
    return wait;
  }

  recordFailure(username: string, ip: string): void {
    const t = this.now().getTime();
    for (const key of this.keys(username, ip)) {
      let e = this.entries.get(key);
      if (!e || t - e.firstAt > WINDOW_MS) e = { failures: 0, firstAt: t, lockedUntil: 0 };
      e.failures++;
      if (e.failures >= FREE_FAILURES) {
        const lock = Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** (e.failures - FREE_FAILURES));
        e.lockedUntil = t + lock;
      }
      this.entries.delete(key); // re-insert so Map order is least-recently-touched first
      this.entries.set(key, e);
    }
    while (this.entries.size > MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);
  }

  /** A successful login clears the user's counter (the IP keeps its record: one success must not unlock a spray). */
  recordSuccess(username: string, ip: string): void {
    this.entries.delete(this.keys(username, ip)[0]!);
  }

  private keys(username: string, ip: string): string[] {
    return [`u:${username.toLowerCase()}@${ip}`, `ip:${ip}`];
  }
}
