// Abuse: a password-guessing run is throttled per user and per IP with Retry-After while the real
// owner still gets in from elsewhere; slow-loris connections are cut without holding the server;
// a flood of long polls from one agent token is capped.
import net from "node:net";
import t from "tap";
import { manualClock } from "../commandKit.js";
import { registerTestAgent } from "../fixtures.js";
import { startTestServer } from "../helpers.js";
import { rawRequest } from "./_kit.js";

const login = (url: string, username: string, password: string, from: string) =>
  rawRequest(url, {
    method: "POST", path: "/api/admin/auth/login", localAddress: from,
    headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }),
  });

t.test("1,000 wrong logins are throttled; the owner still logs in from another IP", async (t) => {
  t.setTimeout(120_000);
  const clock = manualClock();
  const s = await startTestServer(t, { now: clock.now });
  await s.loginAs("owner"); // owner-user / owner-user-password-123
  const ATTACKER = "127.0.0.1";

  const statuses: number[] = [];
  const retryAfter: number[] = [];
  const started = Date.now();
  for (let i = 0; i < 1000; i++) {
    const res = await login(s.url, "owner-user", `guess-number-${i}-xyz`, ATTACKER);
    statuses.push(res.status);
    if (res.status === 429) {
      retryAfter.push(Number(res.headers["retry-after"]));
      if (res.json?.error?.code !== "RATE_LIMITED") t.fail(`429 without RATE_LIMITED: ${res.body}`);
    }
  }
  const elapsed = Date.now() - started;
  t.same(statuses.slice(0, 5), [401, 401, 401, 401, 401], "the first 5 wrong passwords are checked (401 LOGIN_FAILED)");
  t.equal(statuses.filter((x) => x === 429).length, 995, "every attempt after the 5th is refused with 429");
  t.ok(retryAfter.every((x) => x > 0 && x <= 30), `Retry-After is given in seconds (${Math.min(...retryAfter)}..${Math.max(...retryAfter)})`);
  const failedAudits = (await s.db.get<{ n: number }>(`SELECT count(*) AS n FROM audit_events WHERE action = 'session.login.failed'`))!.n;
  t.equal(failedAudits, 5, "only the 5 checked attempts were audited; refused ones cost no password hash");

  const right = await login(s.url, "owner-user", "owner-user-password-123", ATTACKER);
  t.equal(right.status, 429, "even the right password is refused from the throttled IP");
  const owner = await login(s.url, "owner-user", "owner-user-password-123", "127.0.0.2");
  t.equal(owner.status, 200, "the real owner logs in from another IP");

  // another IP spraying different usernames is stopped by the per-IP counter
  const spray: number[] = [];
  for (let i = 0; i < 7; i++) spray.push((await login(s.url, `user-${i}`, "whatever-password-1", "127.0.0.3")).status);
  t.same(spray, [401, 401, 401, 401, 401, 429, 429], "5 failures per IP, whatever the usernames");

  // the lock grows: 30 s after the 5th failure, 60 s after the 6th, ...
  const locks: number[] = [];
  for (let i = 0; i < 4; i++) {
    const wait = Number((await login(s.url, "owner-user", "still-guessing-1", ATTACKER)).headers["retry-after"] ?? 0);
    locks.push(wait);
    clock.advance(wait + 1);
    t.equal((await login(s.url, "owner-user", "still-guessing-2", ATTACKER)).status, 401, `after ${wait} s one more attempt is checked`);
  }
  t.ok(locks.every((x, i) => i === 0 || x >= 2 * locks[i - 1]! - 2), `the lock doubles with each failure (${locks.join(", ")} s)`);
  t.comment(`throttle: 1,000 wrong logins in ${(elapsed / 1000).toFixed(1)} s, 5 checked, 995 refused (429, Retry-After <= 30 s); lock after each further failure ${locks.join(" s, ")} s; owner from 127.0.0.2: 200`);
});

/** Opens a socket that sends one byte of a request every `everyMs` and reports when the server closes it. */
function trickle(port: number, head: string, everyMs: number): Promise<{ closedAfterMs: number; answer: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, "127.0.0.1");
    let i = 0;
    let answer = "";
    const timer = setInterval(() => {
      if (i < head.length && socket.writable) socket.write(head[i++]!);
    }, everyMs);
    socket.on("data", (d) => (answer += d.toString()));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ closedAfterMs: Date.now() - started, answer });
    });
  });
}

t.test("slow-loris connections time out without holding the server", async (t) => {
  t.setTimeout(90_000);
  const s = await startTestServer(t);
  const port = Number(new URL(s.url).port);
  const SLOW = 50;
  const headers = "GET /api/system/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(10_000);
  const body = "POST /api/admin/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{" + " ".repeat(10_000);
  const slowHeaders = Array.from({ length: SLOW }, () => trickle(port, headers, 500));
  const slowBodies = Array.from({ length: SLOW }, () => trickle(port, body, 50));

  // meanwhile, ordinary requests are answered at once
  const latencies: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = Date.now();
    const res = await fetch(`${s.url}/api/system/health`);
    latencies.push(Date.now() - started);
    t.equal(res.status, 200);
    await new Promise((r) => setTimeout(r, 250));
  }
  const h = await Promise.all(slowHeaders);
  const b = await Promise.all(slowBodies);
  const max = (xs: { closedAfterMs: number }[]) => Math.max(...xs.map((x) => x.closedAfterMs));
  t.ok(max(h) < 25_000, `trickled headers are cut by the headers timeout (all ${SLOW} within ${max(h)} ms)`);
  t.ok(h.every((x) => /^HTTP\/1\.1 408/.test(x.answer) && x.answer.includes('"REQUEST_TIMEOUT"')), "trickled headers get a 408 envelope");
  t.ok(b.every((x) => /^HTTP\/1\.1 408/.test(x.answer)), "trickled bodies get 408 REQUEST_TIMEOUT");
  t.ok(max(b) < 40_000, `trickled bodies are cut by the body timeout (all ${SLOW} within ${max(b)} ms)`);
  t.ok(Math.max(...latencies) < 1000, `health answered in ${Math.max(...latencies)} ms max while ${2 * SLOW} slow clients were connected`);
  t.comment(`slow-loris: ${SLOW} trickled headers closed after ${Math.min(...h.map((x) => x.closedAfterMs))}..${max(h)} ms, ${SLOW} trickled bodies after ${Math.min(...b.map((x) => x.closedAfterMs))}..${max(b)} ms; health p100 ${Math.max(...latencies)} ms meanwhile`);
});

t.test("1,000 concurrent long polls from one agent token are capped", async (t) => {
  t.setTimeout(60_000);
  const s = await startTestServer(t);
  const a = await registerTestAgent(s);
  const cap = s.config.maxLongPollsPerAgent;
  const N = 1000;
  const started = Date.now();
  let answered = 0;
  let peak = 0;
  const done: boolean[] = [];
  const sampler = setInterval(() => (peak = Math.max(peak, s.app.runtime.hub.openLongPolls(a.agentId))), 5);
  const polls = Array.from({ length: N }, (_, i) =>
    rawRequest(s.url, { method: "GET", path: `/api/agents/${a.agentId}/commands?waitSeconds=20`, headers: { authorization: `Bearer ${a.agentToken}` } })
      .then((r) => {
        answered++;
        done[i] = true;
        return { ...r, ms: Date.now() - started };
      }));
  // once every request is either refused or parked, give the parked ones a command
  const deadline = Date.now() + 30_000;
  while (answered + s.app.runtime.hub.openLongPolls(a.agentId) < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(s.app.runtime.hub.openLongPolls(a.agentId), cap, `exactly ${cap} polls are parked`);
  const waiting = polls.filter((_, i) => !done[i]);
  const woken = Date.now();
  const created = await a.operator.post(`/api/admin/capsule-services/${a.serviceId}/actions/echo`, { payload: { message: "wake" } });
  const first = await Promise.race(waiting.map((p) => p.then(() => Date.now() - woken)));
  // the others wait out their 20 s unless the server lets them go: end them by shutting down
  await s.close();
  const results = await Promise.all(polls);
  clearInterval(sampler);
  const limited = results.filter((r) => r.status === 429);
  const parked = results.filter((r) => r.status === 200);
  t.equal(peak, cap, `never more than ${cap} parked at once`);
  t.ok(first < 1000, `the command reached a parked poll at once (${first} ms)`);
  t.equal(parked.length, cap, `${cap} polls answered 200`);
  t.equal(limited.length, N - cap, `${N - cap} refused with 429`);
  t.ok(limited.every((r) => r.headers["retry-after"] === "1" && r.json?.error?.code === "RATE_LIMITED"), "refusals say RATE_LIMITED with Retry-After");
  t.equal(parked.filter((r) => r.json.data.some((c: { id: string }) => c.id === created.body.data.id)).length, 1, "the new command went to exactly one parked poll");
  t.equal(s.app.runtime.hub.openLongPolls(), 0, "no waiter left behind");
  t.comment(`long polls: ${N} concurrent from one token -> ${cap} parked, ${limited.length} x 429 (slowest refusal ${Math.max(...limited.map((r) => r.ms))} ms)`);
});

t.test("an idle keep-alive connection outlives the SDK's heartbeat interval", async (t) => {
  t.setTimeout(60_000);
  const s = await startTestServer(t);
  const { port } = new URL(s.url);
  const socket = net.connect({ port: Number(port), host: "127.0.0.1" });
  t.teardown(() => socket.destroy());
  let received = "";
  socket.on("data", (d) => (received += d.toString("latin1")));
  let closed = false;
  socket.on("close", () => (closed = true));
  const get = async () => {
    const before = received.length;
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const complete = (r: string) => {
      const end = r.indexOf("\r\n\r\n");
      const len = /\r\ncontent-length: *(\d+)/i.exec(r);
      return end >= 0 && len !== null && r.length >= end + 4 + Number(len[1]);
    };
    while (!complete(received.slice(before)) && !closed) await new Promise((r) => setTimeout(r, 20));
    return received.slice(before);
  };
  const first = await get();
  t.match(first, /^HTTP\/1\.1 200/);
  t.match(first, /\r\nKeep-Alive: timeout=65\r\n/i, "the hint undici reads: it keeps the socket 63 s, past a 30 s heartbeat");
  // Node's default (5 s) would have closed it by now; the headers timeout (15 s) does not apply to an idle connection
  await new Promise((r) => setTimeout(r, 16_000));
  t.notOk(closed, "still open after 16 s idle");
  t.match(await get(), /^HTTP\/1\.1 200/, "and reused");
});
