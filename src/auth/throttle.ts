// Login throttling: after 5 failures for a username (from one IP) or for an IP within 15 minutes,
// refuse further attempts for an exponentially growing time. The username counter is kept per
// client IP so that an attacker hammering "admin" cannot lock the real owner out from elsewhere. In memory by design: a restart forgives, which is
// acceptable for a single-node tool, and nothing an attacker sends can grow the maps unboundedly.
//
// An attempt is reserved *before* its password is hashed (reserve) and settled with its outcome
// (settle): argon2 takes ~50 ms, and checking the lock first and counting the failure afterwards let
// 30 parallel guesses all pass the check. Attempts in flight count against the free failures, so at
// most 5 passwords are ever checked per window (and at most one at a time once the lock has run out).
const WINDOW_MS = 15 * 60_000;
const FREE_FAILURES = 5;
const BASE_LOCK_MS = 30_000;
const MAX_LOCK_MS = 60 * 60_000;
const MAX_KEYS = 50_000;
/** Retry-After when only attempts in flight block this one: they settle within a second. */
const IN_FLIGHT_WAIT_S = 1;

interface Entry {
  failures: number;
  firstAt: number;
  lockedUntil: number;
  /** Attempts reserved and not yet settled. */
  pending: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly now: () => Date) {}

  /**
   * Reserves one attempt for this user and IP: 0 when it may go ahead (then settle() must follow),
   * otherwise the seconds to wait (nothing reserved).
   */
  reserve(username: string, ip: string): number {
    const t = this.now().getTime();
    let wait = 0;
    const entries = this.keys(username, ip).map((key) => this.current(key, t));
    for (const e of entries) {
      if (e.lockedUntil > t) wait = Math.max(wait, Math.ceil((e.lockedUntil - t) / 1000));
      // below the free failures every slot may be in flight; after a lock ran out, one attempt at a time
      else if (e.failures + e.pending >= Math.max(FREE_FAILURES, e.failures + 1)) wait = Math.max(wait, IN_FLIGHT_WAIT_S);
    }
    if (wait > 0) return wait;
    for (const e of entries) e.pending++;
    this.trim();
    return 0;
  }

  /** Ends a reserved attempt: a failure counts (and may lock), a success clears the user's counter. */
  settle(username: string, ip: string, succeeded: boolean): void {
    const t = this.now().getTime();
    const [userKey, ipKey] = this.keys(username, ip) as [string, string];
    for (const key of [userKey, ipKey]) {
      const e = this.current(key, t);
      e.pending = Math.max(0, e.pending - 1);
      if (succeeded) continue;
      e.failures++;
      if (e.failures >= FREE_FAILURES) {
        const lock = Math.min(MAX_LOCK_MS, BASE_LOCK_MS * 2 ** (e.failures - FREE_FAILURES));
        e.lockedUntil = t + lock;
      }
    }
    // a success clears the user's counter (the IP keeps its record: one success must not unlock a spray)
    if (succeeded) {
      const u = this.entries.get(userKey)!;
      if (u.pending === 0) this.entries.delete(userKey);
      else Object.assign(u, { failures: 0, firstAt: t, lockedUntil: 0 });
    }
    this.trim();
  }

  /** The key's entry, created or restarted when its window has passed, moved to the Map's end (most recent). */
  private current(key: string, t: number): Entry {
    let e = this.entries.get(key);
    if (!e) e = { failures: 0, firstAt: t, lockedUntil: 0, pending: 0 };
    else if (t - e.firstAt > WINDOW_MS && e.lockedUntil <= t) Object.assign(e, { failures: 0, firstAt: t, lockedUntil: 0 });
    this.entries.delete(key); // re-insert so Map order is least-recently-touched first
    this.entries.set(key, e);
    return e;
  }

  private trim(): void {
    while (this.entries.size > MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);
  }

  private keys(username: string, ip: string): string[] {
    return [`u:${username.toLowerCase()}@${ip}`, `ip:${ip}`];
  }
}
