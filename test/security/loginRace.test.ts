// Login throttling holds under parallel attempts: the attempt is reserved before argon2 runs, so 30
// simultaneous wrong passwords for one user from one IP get at most 5 checks; the rest are 429.
import t, { type Test } from "tap";
import { manualClock } from "../commandKit.js";
import { browser } from "../console/_browser.js";
import { startTestServer, type TestServer } from "../helpers.js";

const PARALLEL = 30;

interface Outcome {
  status: number;
  retryAfter: string | null;
  code: string | undefined;
}

const apiLogin = async (s: TestServer, username: string, password: string): Promise<Outcome> => {
  const res = await s.anon.req("POST", "/api/admin/auth/login", { username, password });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), code: res.body?.error?.code };
};

const formLogin = async (s: TestServer, username: string, password: string): Promise<Outcome> => {
  const page = await browser(s).post("/login", { username, password, next: "/" }, { noCsrf: true });
  return { status: page.status, retryAfter: page.headers.get("retry-after"), code: page.status === 429 && /too many failed logins/.test(page.text) ? "RATE_LIMITED" : undefined };
};

function check(t: Test, s: TestServer, outcomes: Outcome[], checksBefore: number, label: string): void {
  const checked = outcomes.filter((o) => o.status !== 429);
  const limited = outcomes.filter((o) => o.status === 429);
  t.equal(checked.length, 5, `${label}: 5 of ${PARALLEL} parallel wrong passwords were checked`);
  t.ok(checked.every((o) => o.status === 401), `${label}: the checked ones are 401`);
  t.equal(limited.length, PARALLEL - 5, `${label}: the rest are refused with 429`);
  t.ok(limited.every((o) => o.code === "RATE_LIMITED" && Number(o.retryAfter) > 0), `${label}: every 429 says RATE_LIMITED with Retry-After`);
  t.equal(s.app.runtime.counters.loginPasswordChecks - checksBefore, 5, `${label}: argon2 verified exactly 5 passwords`);
}

t.test(`API: ${PARALLEL} simultaneous wrong logins check at most 5 passwords`, async (t) => {
  const s = await startTestServer(t);
  await s.loginAs("owner", "olive");
  const before = s.app.runtime.counters.loginPasswordChecks;
  const outcomes = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => apiLogin(s, "olive", `wrong-guess-${i}-xyz`)));
  check(t, s, outcomes, before, "API");
  const limited = await s.anon.req("POST", "/api/admin/auth/login", { username: "olive", password: "olive-password-123" });
  t.equal(limited.status, 429, "the right password is refused too while locked");
  t.same(Object.keys(limited.body).sort(), ["error", "success"], "error envelope");
  t.equal(limited.body.success, false);
});

t.test(`console form: ${PARALLEL} simultaneous wrong logins check at most 5 passwords`, async (t) => {
  const s = await startTestServer(t);
  await s.loginAs("operator", "fred");
  const before = s.app.runtime.counters.loginPasswordChecks;
  const outcomes = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => formLogin(s, "fred", `wrong-guess-${i}-xyz`)));
  check(t, s, outcomes, before, "console");
});

t.test("after the lock runs out, parallel guesses get one check at a time", async (t) => {
  const clock = manualClock();
  const s = await startTestServer(t, { now: clock.now });
  await s.loginAs("viewer", "vera");
  for (let i = 0; i < 5; i++) t.equal((await apiLogin(s, "vera", `wrong-${i}-password`)).status, 401);
  const locked = await apiLogin(s, "vera", "wrong-again-password");
  t.equal(locked.status, 429);
  clock.advance(Number(locked.retryAfter) + 1);
  const before = s.app.runtime.counters.loginPasswordChecks;
  const outcomes = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => apiLogin(s, "vera", `late-guess-${i}-xyz`)));
  t.equal(outcomes.filter((o) => o.status === 401).length, 1, "one guess is checked");
  t.equal(outcomes.filter((o) => o.status === 429).length, PARALLEL - 1, "the rest wait");
  t.equal(s.app.runtime.counters.loginPasswordChecks - before, 1, "one argon2 verify");
  const next = await apiLogin(s, "vera", "yet-another-guess");
  t.ok(Number(next.retryAfter) >= 59, `the failure doubled the lock (Retry-After ${next.retryAfter} s)`);
});

t.test("right passwords in flight are not blocked by reservations while free slots remain", async (t) => {
  const s = await startTestServer(t);
  await s.loginAs("viewer", "wes");
  for (let i = 0; i < 3; i++) t.equal((await apiLogin(s, "wes", `wrong-${i}-password`)).status, 401);
  const [a, b] = await Promise.all([apiLogin(s, "wes", "wes-password-123"), apiLogin(s, "wes", "wes-password-123")]);
  t.same([a.status, b.status], [200, 200], "two parallel right logins both succeed (5 slots, 3 used)");
});
