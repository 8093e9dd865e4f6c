// Login throttling: after 5 failures for a username (from one IP) or for an IP within 15 minutes,
// refuse further attempts for an exponentially growing time. The username counter is kept per
// client IP so that an attacker hammering "admin" cannot lock the real owner out from elsewhere.
//
// An attempt is reserved *before* its password is hashed (reserve) and settled with its outcome
// (settle): argon2 takes ~50 ms, and checking the lock first and counting the failure afterwards let
// 30 parallel guesses all pass the check. Attempts in flight count against the free failures, so at
// most 5 passwords are ever checked per window (and at most one at a time once the lock has run out).
//
// The counters live in the database (limiter_windows, db/limiter.ts), not in process memory: nodes
// sharing one database share one throttle, so splitting guesses over nodes gains nothing (a per-node
// throttle would have let N nodes check 5N passwords). A restart no longer forgives. Each key's
// decision is one atomic upsert; the two keys of an attempt are reserved in one transaction (IP key
// first, always, so two reservations never lock in opposite orders), so an attempt takes a slot on
// both keys or on neither. A node that dies between reserve and settle leaves its reservation
// behind; it stops counting PENDING_TTL after the key's latest reservation.
import type { App } from "../context.js";
import { releaseLoginKey, reserveLoginKey, peekWindow, settleLoginFailure, settleLoginSuccess, type LoginPolicy } from "../db/limiter.js";

export const LOGIN_POLICY: LoginPolicy = {
  windowMs: 15 * 60_000,
  freeFailures: 5,
  baseLockMs: 30_000,
  maxLockMs: 60 * 60_000,
  pendingTtlMs: 60_000,
};
/** Retry-After when only attempts in flight block this one: they settle within a second. */
const IN_FLIGHT_WAIT_S = 1;

const keys = (username: string, ip: string): { ipKey: string; userKey: string } => ({
  ipKey: `login.ip:${ip}`,
  userKey: `login.user:${username.toLowerCase()}@${ip}`,
});

/**
 * Reserves one attempt for this user and IP: 0 when it may go ahead (then settleLogin() must follow),
 * otherwise the seconds to wait (nothing reserved).
 */
export async function reserveLogin(app: App, username: string, ip: string): Promise<number> {
  const { ipKey, userKey } = keys(username, ip);
  const nowMs = app.now().getTime();
  const refusedBy = await app.db.transaction(async () => {
    if (!await reserveLoginKey(app.db, ipKey, nowMs, LOGIN_POLICY)) return ipKey;
    if (await reserveLoginKey(app.db, userKey, nowMs, LOGIN_POLICY)) return null;
    await releaseLoginKey(app.db, ipKey); // in the same transaction: no other attempt saw the IP slot taken
    return userKey;
  });
  if (refusedBy === null) return 0;
  // how long: the key's lock, or a second while only attempts in flight fill it (read after the fact: advisory)
  const lockedUntil = (await peekWindow(app.db, refusedBy))?.lockedUntil ?? 0;
  return lockedUntil > nowMs ? Math.ceil((lockedUntil - nowMs) / 1000) : IN_FLIGHT_WAIT_S;
}

/** Ends a reserved attempt: a failure counts on both keys (and may lock), a success clears the user's counter. */
export async function settleLogin(app: App, username: string, ip: string, succeeded: boolean): Promise<void> {
  const { ipKey, userKey } = keys(username, ip);
  const nowMs = app.now().getTime();
  // a success clears the user's counter only (the IP keeps its record: one success must not unlock a spray)
  if (succeeded) await settleLoginSuccess(app.db, ipKey, userKey, nowMs);
  else await settleLoginFailure(app.db, ipKey, userKey, nowMs, LOGIN_POLICY);
}
