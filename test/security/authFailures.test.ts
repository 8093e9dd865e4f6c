// Unauthenticated failures cannot flood the audit log: per client IP, bad registrations are limited to
// 20 a minute (then 429) and only the first 5 failures a minute of each kind get their own audit row,
// the rest folded into the next row's `suppressed`; /metrics still counts every one of them.
import t from "tap";
import { manualClock } from "../commandKit.js";
import { registerTestAgent } from "../fixtures.js";
import { startTestServer, type TestServer } from "../helpers.js";
import { rawRequest } from "../reliability/_kit.js";

const N = 300;
const ATTACKER = "127.0.0.1";

const registration = (code: string, registrationToken = "opstage_reg_not-a-real-token-0000") =>
  JSON.stringify({ registrationToken, agent: { code, mode: "embedded", runtime: "nodejs", version: "0.1.0" } });

const post = (s: TestServer, path: string, body: string, from = ATTACKER) =>
  rawRequest(s.url, { method: "POST", path, localAddress: from, headers: { "content-type": "application/json" }, body });

/** capstan_auth_*_total{kind} from a real scrape (0 when absent). */
async function metric(s: TestServer, name: string, kind: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{kind="${kind}"} `));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

const auditRows = async (s: TestServer, action: string) =>
  (await s.db.all<{ metadata_json: string }>(`SELECT metadata_json FROM audit_events WHERE action = ? AND result = 'FAILURE' ORDER BY id`, [action]))
    .map((r) => JSON.parse(r.metadata_json) as { suppressed?: number; ip?: string; errorCode: string });

t.test(`${N} bad registrations from one IP: 20 checked, the rest 429; 5 audit rows; the metric counts ${N}`, async (t) => {
  const clock = manualClock();
  const s = await startTestServer(t, { now: clock.now, env: { CAPSTAN_METRICS: "public" } });
  const statuses: number[] = [];
  let retryAfterOk = true;
  for (let i = 0; i < N; i++) {
    const res = await post(s, "/api/agents/register", registration(`bad-agent-${i}`));
    statuses.push(res.status);
    const body = res.json as { success: boolean; error: { code: string } };
    if (res.status === 429 && (body.error.code !== "RATE_LIMITED" || !(Number(res.headers["retry-after"]) > 0) || body.success !== false)) retryAfterOk = false;
  }
  t.same(statuses.slice(0, 20), Array(20).fill(401), "the first 20 are checked (401 REGISTRATION_TOKEN_INVALID)");
  t.equal(statuses.filter((x) => x === 429).length, N - 20, "every later one is refused with 429");
  t.ok(retryAfterOk, "each 429 is the RATE_LIMITED envelope with Retry-After");

  const rows = await auditRows(s, "agent.registered");
  t.equal(rows.length, 5, `${N} failures wrote 5 audit rows (< 100)`);
  t.ok(rows.every((r) => r.ip === ATTACKER && r.errorCode === "REGISTRATION_TOKEN_INVALID"), "each names the IP and the error");
  t.equal(await metric(s, "capstan_auth_failures_total", "registration"), N, `capstan_auth_failures_total{kind="registration"} is exactly ${N}`);
  t.equal(await metric(s, "capstan_auth_throttled_total", "registration"), N - 20, "of which 280 were refused unchecked");

  // another IP is not affected: a real agent registers from 127.0.0.2 while 127.0.0.1 waits
  const operator = await s.loginAs("operator");
  const token = (await operator.post("/api/admin/registration-tokens", { name: "legit" })).body.data.rawToken as string;
  t.equal((await post(s, "/api/agents/register", registration("good-agent", token), "127.0.0.2")).status, 200, "another IP registers");
  t.equal((await post(s, "/api/agents/register", registration("bad-agent-x"))).status, 429, "the attacker's IP still waits");

  // a minute later the IP may try again; its next audited failure carries the folded count
  clock.advance(61);
  t.equal((await post(s, "/api/agents/register", registration("bad-agent-late"))).status, 401, "checked again after the minute");
  const after = await auditRows(s, "agent.registered");
  t.equal(after.length, 6);
  t.equal(after[5]!.suppressed, N + 1 - 5, "the new row carries every failure that had no row of its own");
  t.equal(5 + after.reduce((n, r) => n + (r.suppressed ?? 0), 0) + 1, N + 2, "rows + suppressed add up to every failure");
});

t.test(`${N} bad logins from one IP: 5 checked, at most 5 audit rows; the metric counts ${N}`, async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_METRICS: "public" } });
  await s.loginAs("owner", "olga");
  const statuses: number[] = [];
  for (let i = 0; i < N; i++) {
    statuses.push((await post(s, "/api/admin/auth/login", JSON.stringify({ username: i % 2 ? "olga" : `nobody-${i}`, password: `wrong-password-${i}` }))).status);
  }
  t.equal(statuses.filter((x) => x === 401).length, 5, "the per-IP login throttle lets 5 through");
  t.equal(statuses.filter((x) => x === 429).length, N - 5);
  t.ok((await auditRows(s, "session.login.failed")).length <= 5, "at most 5 audit rows");
  t.equal(await metric(s, "capstan_auth_failures_total", "login"), N, `capstan_auth_failures_total{kind="login"} is exactly ${N}`);
  t.equal(await metric(s, "capstan_auth_throttled_total", "login"), N - 5);
  t.equal(await metric(s, "capstan_auth_failures_total", "registration"), 0, "kinds are kept apart");
});

t.test("a checked login failure past 5 a minute from one IP is folded into the next audited row", async (t) => {
  const clock = manualClock();
  const s = await startTestServer(t, { now: clock.now, env: { CAPSTAN_METRICS: "public" } });
  const login = (i: number) => post(s, "/api/admin/auth/login", JSON.stringify({ username: "mallory", password: `wrong-password-${i}` }));
  for (let i = 0; i < 5; i++) t.equal((await login(i)).status, 401);
  t.equal((await login(5)).status, 429, "locked for 30 s");
  clock.advance(31);
  t.equal((await login(6)).status, 401, "the lock ran out: checked again, within the same minute");
  t.equal((await auditRows(s, "session.login.failed")).length, 5, "but no sixth row this minute");
  clock.advance(61);
  t.equal((await login(7)).status, 401, "a minute later (the 60 s lock ran out)");
  const rows = await auditRows(s, "session.login.failed");
  t.equal(rows.length, 6);
  t.equal(rows[5]!.suppressed, 2, "the new row carries the 429 and the unaudited failure");
  t.equal(await metric(s, "capstan_auth_failures_total", "login"), 8, "all 8 counted");
  t.equal(await metric(s, "capstan_auth_throttled_total", "login"), 1);
  // another IP has its own allowance
  t.equal((await post(s, "/api/admin/auth/login", JSON.stringify({ username: "mallory", password: "x-wrong-password" }), "127.0.0.9")).status, 401);
  t.equal((await auditRows(s, "session.login.failed")).length, 7, "audited in full");
});
