// limiter_windows: the limits that must hold across nodes (login throttle, registration failures, bus
// ingest). Every decision is one atomic INSERT … ON CONFLICT … DO UPDATE (a row lock on PostgreSQL,
// a serialised writer on SQLite), so two nodes can never both take a key's last slot. Times are epoch
// ms; the inserted row's values (`excluded.*`) carry "now" into the update, and a window is over when
// now - window_start >= window_ms (auth/limits.ts `windowOver` is the same rule in memory).
import type { Db } from "./engine.js";

const COLUMNS = "key, window_ms, window_start, hits, refused, pending, pending_until, locked_until";

// login: the key's window restarts when it is over and no lock is running
const RESET = "(excluded.window_start - w.window_start >= w.window_ms AND w.locked_until <= excluded.window_start)";
const FAILURES = `(CASE WHEN ${RESET} THEN 0 ELSE w.hits END)`;
// reservations of a node that died before settling stop counting at pending_until
const PENDING = "(CASE WHEN w.pending_until <= excluded.window_start THEN 0 ELSE w.pending END)";
// fixed windows: over when its length has passed
const OVER = "(excluded.window_start - w.window_start >= w.window_ms)";

const sql = {
  // fixed window: count a hit while below the limit (param 2), else count a refusal; new window when over
  hit: `INSERT INTO limiter_windows AS w (${COLUMNS}) VALUES (?, ?, ?, 1, 0, 0, 0, 0)
    ON CONFLICT (key) DO UPDATE SET
      window_ms = excluded.window_ms,
      window_start = CASE WHEN ${OVER} THEN excluded.window_start ELSE w.window_start END,
      hits = CASE WHEN ${OVER} THEN 1 WHEN w.hits < ? THEN w.hits + 1 ELSE w.hits END,
      refused = CASE WHEN ${OVER} THEN 0 WHEN w.hits < ? THEN w.refused ELSE w.refused + 1 END
    RETURNING window_start, hits, refused`,
  // a key's window as stored (the caller judges whether it is over)
  peek: `SELECT window_ms, window_start, hits, locked_until FROM limiter_windows WHERE key = ?`,
  // login: reserve one attempt unless locked or the free failures are taken by failures + attempts in
  // flight (past them: one attempt at a time); no row returned = refused, nothing changed
  reserve: `INSERT INTO limiter_windows AS w (${COLUMNS}) VALUES (?, ?, ?, 0, 0, 1, ?, 0)
    ON CONFLICT (key) DO UPDATE SET
      window_start = CASE WHEN ${RESET} THEN excluded.window_start ELSE w.window_start END,
      hits = ${FAILURES},
      pending = ${PENDING} + 1,
      pending_until = excluded.pending_until
    WHERE w.locked_until <= excluded.window_start AND (${PENDING} = 0 OR ${FAILURES} + ${PENDING} < ?)
    RETURNING pending`,
  // login: give a reservation back (the other key refused it, or a success settles the IP key)
  release: `UPDATE limiter_windows SET pending = CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END WHERE key = ?`,
  // login: a failed attempt settles on both keys (IP key first, the order reserve locks them in): one
  // more failure in the (possibly restarted) window; from the free failures on, a lock of
  // base * 2^(failures - free), capped at max (params: free, free, capExp, max, base, free)
  failure: `INSERT INTO limiter_windows AS w (${COLUMNS}) VALUES (?, ?, ?, 1, 0, 0, 0, 0), (?, ?, ?, 1, 0, 0, 0, 0)
    ON CONFLICT (key) DO UPDATE SET
      window_start = CASE WHEN ${RESET} THEN excluded.window_start ELSE w.window_start END,
      hits = ${FAILURES} + 1,
      pending = CASE WHEN w.pending > 0 THEN w.pending - 1 ELSE 0 END,
      locked_until = CASE WHEN ${FAILURES} + 1 < ? THEN w.locked_until
        ELSE excluded.window_start + CASE WHEN ${FAILURES} + 1 - ? >= ? THEN ? ELSE ? * (1 << (${FAILURES} + 1 - ?)) END END`,
  // login: a success ends the user key's reservation and clears its counter (the IP key is released
  // on its own: one row per statement, so a settle never holds one key's lock while taking the other)
  clearUser: `UPDATE limiter_windows SET pending = CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END,
      hits = 0, locked_until = 0, window_start = ? WHERE key = ?`,
  // maintenance: rows whose window, lock and reservations have all run out mean nothing any more
  deleteSpent: `DELETE FROM limiter_windows WHERE key IN (SELECT key FROM limiter_windows
    WHERE window_start + window_ms <= ? AND locked_until <= ? AND (pending = 0 OR pending_until <= ?) LIMIT ?)`,
};

export interface WindowCount {
  windowStart: number;
  hits: number;
  /** Refusals in this window, this one included: 0 means this hit was counted. */
  refused: number;
}

/** Counts one hit on `key`'s fixed window (at most `limit`; past it the refusal is counted instead). */
export async function hitWindow(db: Db, key: string, nowMs: number, windowMs: number, limit: number): Promise<WindowCount> {
  const r = (await db.get<{ window_start: number; hits: number; refused: number }>(sql.hit, [key, windowMs, nowMs, limit, limit]))!;
  return { windowStart: Number(r.window_start), hits: r.hits, refused: r.refused };
}

export interface StoredWindow {
  windowMs: number;
  windowStart: number;
  hits: number;
  lockedUntil: number;
}

export async function peekWindow(db: Db, key: string): Promise<StoredWindow | undefined> {
  const r = await db.get<{ window_ms: number; window_start: number; hits: number; locked_until: number }>(sql.peek, [key]);
  return r && { windowMs: r.window_ms, windowStart: Number(r.window_start), hits: r.hits, lockedUntil: Number(r.locked_until) };
}

/** The login throttle's numbers (auth/throttle.ts). */
export interface LoginPolicy {
  windowMs: number;
  freeFailures: number;
  baseLockMs: number;
  maxLockMs: number;
  /** A reservation stops counting this long after the latest one on its key (its node died). */
  pendingTtlMs: number;
}

/** Reserves one attempt on `key`; false (nothing changed) when the key refuses it. */
export async function reserveLoginKey(db: Db, key: string, nowMs: number, p: LoginPolicy): Promise<boolean> {
  return (await db.get(sql.reserve, [key, p.windowMs, nowMs, nowMs + p.pendingTtlMs, p.freeFailures])) !== undefined;
}

export async function releaseLoginKey(db: Db, key: string): Promise<void> {
  await db.run(sql.release, [key]);
}

/** Smallest k with base * 2^k >= max: from there on the lock is max. */
const capExponent = (p: LoginPolicy): number => Math.ceil(Math.log2(p.maxLockMs / p.baseLockMs));

export async function settleLoginFailure(db: Db, ipKey: string, userKey: string, nowMs: number, p: LoginPolicy): Promise<void> {
  const free = p.freeFailures;
  await db.run(sql.failure, [ipKey, p.windowMs, nowMs, userKey, p.windowMs, nowMs, free, free, capExponent(p), p.maxLockMs, p.baseLockMs, free]);
}

export async function settleLoginSuccess(db: Db, ipKey: string, userKey: string, nowMs: number): Promise<void> {
  await db.run(sql.release, [ipKey]);
  await db.run(sql.clearUser, [nowMs, userKey]);
}

/** Deletes up to `limit` spent rows; returns how many. */
export async function deleteSpentWindows(db: Db, nowMs: number, limit: number): Promise<number> {
  return (await db.run(sql.deleteSpent, [nowMs, nowMs, nowMs, limit])).changes;
}
