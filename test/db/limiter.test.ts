// limiter_windows (src/db/limiter.ts): fixed windows, the login throttle's reserve/settle and lock
// ladder, the sweep, and atomicity between two connection pools on one database (two nodes).
import t from "tap";
import type { Db } from "../../src/db/engine.js";
import {
  deleteSpentWindows, hitWindow, peekWindow, releaseLoginKey, reserveLoginKey, settleLoginFailure, settleLoginSuccess,
} from "../../src/db/limiter.js";
import { openPostgres } from "../../src/db/postgres.js";
import { LOGIN_POLICY } from "../../src/auth/throttle.js";
import { onPostgres, openTestDb } from "../testDb.js";

const T0 = Date.UTC(2030, 0, 1);
const MIN = 60_000;

/** A second "node" on the same database: its own pool on PostgreSQL; SQLite has one connection per file. */
async function secondNode(t: Tap, db: Db): Promise<Db> {
  if (!onPostgres) return db;
  const b = await openPostgres((db as Db & { url: string }).url, { poolSize: 4 });
  t.teardown(() => b.close());
  return b;
}
type Tap = Parameters<typeof openTestDb>[0];

t.test("a fixed window counts up to its limit, then counts refusals; a new window starts when it is over", async (t) => {
  const db = await openTestDb(t);
  const hits = [];
  for (let i = 0; i < 5; i++) hits.push(await hitWindow(db, "bus:a", T0 + i * 1000, MIN, 3));
  t.same(hits.map((h) => [h.hits, h.refused]), [[1, 0], [2, 0], [3, 0], [3, 1], [3, 2]]);
  t.ok(hits.every((h) => h.windowStart === T0), "the window began with its first hit");
  t.same(await hitWindow(db, "bus:b", T0, MIN, 3), { windowStart: T0, hits: 1, refused: 0 }, "keys are apart");
  t.same(await hitWindow(db, "bus:a", T0 + MIN - 1, MIN, 3), { windowStart: T0, hits: 3, refused: 3 }, "still the same window 1 ms before its end");
  t.same(await hitWindow(db, "bus:a", T0 + MIN, MIN, 3), { windowStart: T0 + MIN, hits: 1, refused: 0 }, "a new window at its end");
});

t.test("hits from two nodes at once: exactly the limit is counted, exactly one first refusal", async (t) => {
  const a = await openTestDb(t);
  const b = await secondNode(t, a);
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => hitWindow(i % 2 ? b : a, "bus:race", T0, MIN, 10)));
  t.equal(results.filter((r) => r.refused === 0).length, 10, "10 counted");
  t.equal(results.filter((r) => r.refused === 1).length, 1, "one refusal is the first");
  t.same(results.map((r) => r.refused).sort((x, y) => x - y), [...Array(10).fill(0), ...Array.from({ length: 30 }, (_, i) => i + 1)], "every refusal counted once");
});

t.test("login: reservations in flight fill the free failures; reservations of a dead node expire", async (t) => {
  const db = await openTestDb(t);
  for (let i = 0; i < 5; i++) t.ok(await reserveLoginKey(db, "login.ip:x", T0, LOGIN_POLICY), `reservation ${i + 1}`);
  t.notOk(await reserveLoginKey(db, "login.ip:x", T0 + 1000, LOGIN_POLICY), "the 6th waits for the 5 in flight");
  await releaseLoginKey(db, "login.ip:x");
  t.ok(await reserveLoginKey(db, "login.ip:x", T0 + 1000, LOGIN_POLICY), "a released slot is free again");
  // never settled (their node died): they stop counting pendingTtl after the latest reservation
  t.notOk(await reserveLoginKey(db, "login.ip:x", T0 + 1000 + LOGIN_POLICY.pendingTtlMs - 1, LOGIN_POLICY), "still counted just before");
  t.ok(await reserveLoginKey(db, "login.ip:x", T0 + 1000 + LOGIN_POLICY.pendingTtlMs, LOGIN_POLICY), "forgotten after the TTL");
});

t.test("login: failures lock for 30 s * 2^(n - 5), capped at an hour; a success clears the user key only", async (t) => {
  const db = await openTestDb(t);
  const locks: number[] = [];
  for (let i = 1; i <= 13; i++) {
    const now = T0 + i;
    await settleLoginFailure(db, "login.ip:y", "login.user:u@y", now, LOGIN_POLICY);
    const w = (await peekWindow(db, "login.user:u@y"))!;
    locks.push(w.lockedUntil > now ? (w.lockedUntil - now) / 1000 : 0);
  }
  t.same(locks, [0, 0, 0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
  const lockedUntil = (await peekWindow(db, "login.user:u@y"))!.lockedUntil;
  t.notOk(await reserveLoginKey(db, "login.user:u@y", lockedUntil - 1, LOGIN_POLICY), "locked");
  t.ok(await reserveLoginKey(db, "login.user:u@y", lockedUntil, LOGIN_POLICY), "the lock ran out (and so did the window)");
  t.ok(await reserveLoginKey(db, "login.ip:y", lockedUntil, LOGIN_POLICY));
  await settleLoginSuccess(db, "login.ip:y", "login.user:u@y", lockedUntil);
  t.same(await peekWindow(db, "login.user:u@y"), { windowMs: LOGIN_POLICY.windowMs, windowStart: lockedUntil, hits: 0, lockedUntil: 0 }, "user key cleared");
  t.same(await peekWindow(db, "login.ip:y"), { windowMs: LOGIN_POLICY.windowMs, windowStart: lockedUntil, hits: 0, lockedUntil }, "the IP key's window restarted at its reservation; a success does not touch it");
});

t.test("login: within the window, a success leaves the IP's failures counted", async (t) => {
  const db = await openTestDb(t);
  for (let i = 0; i < 3; i++) await settleLoginFailure(db, "login.ip:z", `login.user:n${i}@z`, T0, LOGIN_POLICY);
  t.ok(await reserveLoginKey(db, "login.ip:z", T0 + 1, LOGIN_POLICY));
  t.ok(await reserveLoginKey(db, "login.user:n0@z", T0 + 1, LOGIN_POLICY));
  await settleLoginSuccess(db, "login.ip:z", "login.user:n0@z", T0 + 1);
  t.equal((await peekWindow(db, "login.ip:z"))!.hits, 3, "the IP keeps its 3 failures");
  t.equal((await peekWindow(db, "login.user:n0@z"))!.hits, 0, "the user's are cleared");
  t.equal((await peekWindow(db, "login.user:n1@z"))!.hits, 1, "other users' are not");
});

t.test("the sweep deletes spent rows only: window over, no lock running, no live reservation", async (t) => {
  const db = await openTestDb(t);
  await hitWindow(db, "bus:old", T0, MIN, 5);
  await hitWindow(db, "bus:live", T0 + MIN, MIN, 5);
  t.ok(await reserveLoginKey(db, "login.ip:pending", T0, LOGIN_POLICY)); // its 15-minute window began at T0
  t.ok(await reserveLoginKey(db, "login.ip:pending", T0 + 14.5 * MIN, LOGIN_POLICY)); // in flight until T0 + 15.5 min
  for (let i = 0; i < 5; i++) await settleLoginFailure(db, "login.ip:locked", "login.user:v@locked", T0 + 14 * MIN, LOGIN_POLICY);
  const keys = async () => (await db.all<{ key: string }>("SELECT key FROM limiter_windows ORDER BY key")).map((r) => r.key);
  t.equal(await deleteSpentWindows(db, T0 + MIN, 100), 1);
  t.same(await keys(), ["bus:live", "login.ip:locked", "login.ip:pending", "login.user:v@locked"], "only the finished minute went");
  t.equal(await deleteSpentWindows(db, T0 + 15 * MIN, 100), 1, "15 minutes on: the other minute went");
  t.same(await keys(), ["login.ip:locked", "login.ip:pending", "login.user:v@locked"], "a window in flight and windows in their lock are kept");
  t.equal(await deleteSpentWindows(db, T0 + 29 * MIN, 1), 1, "the batch limit holds");
  t.equal(await deleteSpentWindows(db, T0 + 29 * MIN, 100), 2);
  t.same(await keys(), []);
});
