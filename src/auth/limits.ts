// Fixed windows: the one helper for "at most N per window" (bus ingest per agent, registration
// failures per IP, and the in-memory audit sampling of auth/failures.ts). A window starts with its
// first hit and is over `windowMs` later; then the next hit starts a new one.
//
// Limits that must hold across nodes count in the database (countInWindow / windowRetryAfter over
// db/limiter.ts, one atomic upsert per hit); the pure functions below are the same rule for what is
// only counted per process.
import type { App } from "../context.js";
import { hitWindow, peekWindow } from "../db/limiter.js";

export const MINUTE_MS = 60_000;

/** The window that began at `startMs` is over at `nowMs` (db/limiter.ts applies the same rule in SQL). */
export const windowOver = (startMs: number, nowMs: number, windowMs = MINUTE_MS): boolean => nowMs - startMs >= windowMs;

/** Retry-After for a full window: whole seconds until it is over, at least 1. */
export const secondsLeft = (startMs: number, nowMs: number, windowMs = MINUTE_MS): number =>
  Math.max(1, Math.ceil((startMs + windowMs - nowMs) / 1000));

export type WindowVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number; firstRefusal: boolean };

/**
 * Counts one hit on `key` across every node sharing the database: allowed while fewer than `limit`
 * hits were counted in the current window. A refusal counts nothing but itself; `firstRefusal` is true
 * for exactly one refusal per window (cluster-wide), for callers that audit only that one.
 */
export async function countInWindow(app: App, key: string, limit: number, windowMs = MINUTE_MS): Promise<WindowVerdict> {
  const nowMs = app.now().getTime();
  const w = await hitWindow(app.db, key, nowMs, windowMs, limit);
  if (w.refused === 0) return { allowed: true };
  return { allowed: false, retryAfterSeconds: secondsLeft(w.windowStart, nowMs, windowMs), firstRefusal: w.refused === 1 };
}

/** Seconds until `key` may be counted again once `limit` hits fill its current window; 0 when it may now (a read only). */
export async function windowRetryAfter(app: App, key: string, limit: number): Promise<number> {
  const nowMs = app.now().getTime();
  const w = await peekWindow(app.db, key);
  if (!w || windowOver(w.windowStart, nowMs, w.windowMs) || w.hits < limit) return 0;
  return secondsLeft(w.windowStart, nowMs, w.windowMs);
}
