// The benchmark helpers that every figure depends on: percentiles, /proc sampling, and the bare
// baseline server answering the agent protocol the way the simulated agents expect.
import t from "tap";
// @ts-expect-error plain ESM helpers without type declarations
import { summarize, median } from "../../bench/lib/stats.mjs";
// @ts-expect-error plain ESM helpers without type declarations
import { childPids, procStats, watchProcess } from "../../bench/lib/proc.mjs";
// @ts-expect-error plain ESM helpers without type declarations
import { startBare } from "../../bench/lib/server.mjs";
// @ts-expect-error plain ESM helpers without type declarations
import { httpClient, registerFleet, SDK_HEALTH, SDK_USER_AGENT } from "../../bench/lib/wire.mjs";
// @ts-expect-error plain ESM helpers without type declarations
import { startFleet } from "../../bench/lib/fleet.mjs";
// @ts-expect-error plain ESM helpers without type declarations
import { rawClient, requestBytes } from "../../bench/lib/rawClient.mjs";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { sleep, startTestServer } from "../helpers.js";

// the fleet test runs a server, a registration and a second of heartbeats: slow on a loaded machine
t.setTimeout(120_000);

t.test("summarize uses nearest-rank percentiles and never yields NaN", async (t) => {
  const s = summarize(Array.from({ length: 100 }, (_, i) => 100 - i)); // 1..100, unsorted
  t.same([s.n, s.min, s.p50, s.p95, s.p99, s.max, s.mean], [100, 1, 50, 95, 99, 100, 50.5]);
  t.same(summarize([]), { n: 0, min: null, p50: null, p95: null, p99: null, max: null, mean: null });
  t.equal(summarize([7]).p99, 7);
  t.equal(median([3, 1, 2]), 2);
});

t.test("procStats reads RSS and CPU of a live process", { skip: process.platform !== "linux" && "reads /proc" }, async (t) => {
  const a = procStats(process.pid);
  t.ok(a.rssBytes > 10 * 1024 * 1024, "RSS in bytes");
  // burn CPU until the counter shows 50 ms more (or 5 s pass, which would fail below)
  const deadline = Date.now() + 5000;
  let b = procStats(process.pid);
  while (b.cpuMs! < a.cpuMs! + 50 && Date.now() < deadline) {
    const until = Date.now() + 20;
    while (Date.now() < until); // spin
    b = procStats(process.pid);
  }
  t.ok(b.cpuMs! >= a.cpuMs! + 50, `CPU time moved with the work: ${a.cpuMs} -> ${b.cpuMs} ms`);
  t.same(procStats(2 ** 22 + 12345), { rssBytes: null, cpuMs: null }, "a missing process gives nulls");
});

t.test("the bare baseline answers heartbeats and holds long polls like an idle server", async (t) => {
  const bare = await startBare();
  t.teardown(() => bare.stop());
  const call = httpClient(bare.url);
  t.teardown(() => call.close());
  const hb = await call("POST", "/api/agents/agt_x/heartbeat", { token: "t", body: {} });
  t.equal(hb.status, 200);
  t.same(hb.json, { success: true, data: { heartbeatIntervalSeconds: 30, commandPollIntervalSeconds: 5 } });
  const poll = await call("GET", "/api/agents/agt_x/commands?waitSeconds=1", { token: "t" });
  t.same(poll.json, { success: true, data: [] });
  t.ok(poll.ms >= 950, `held ${poll.ms.toFixed(0)} ms`);
  t.equal((await call("GET", "/nope")).status, 404);
});

t.test("watchProcess sums CPU over a list of pids; childPids finds a process's children", { skip: process.platform !== "linux" && "reads /proc" }, async (t) => {
  const child = spawn(process.execPath, ["-e", "const end = Date.now() + 8000; while (Date.now() < end);"], { stdio: "ignore" });
  t.teardown(() => child.kill());
  await sleep(50);
  t.ok(childPids(process.pid).includes(child.pid), "the spawned process is listed as our child");
  t.notOk(childPids(child.pid!).includes(process.pid), "and we are not its child");
  const w = watchProcess(() => [process.pid, child.pid]);
  // the child spins while this process sleeps; wait until it has used 150 ms (slow on a loaded machine)
  const childStart = procStats(child.pid).cpuMs;
  const deadline = Date.now() + 6000;
  while (procStats(child.pid).cpuMs < childStart + 150 && Date.now() < deadline) await sleep(50);
  const childUsed = procStats(child.pid).cpuMs - childStart;
  const u = w.stop();
  t.ok(childUsed >= 150 && u.cpuMs >= childUsed, `the child's CPU (${childUsed} ms) is in the sum: ${u.cpuMs} ms`);
  t.ok(u.peakRssBytes > procStats(process.pid).rssBytes, "RSS is summed over both processes");
});

t.test("simulated agents register and heartbeat as the SDK does: service, health on every heartbeat, SDK user-agent", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await op.req(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r.body.data;
  };
  const creds = await registerFleet(s.url, admin, 3, { prefix: "sdk-shape" });
  t.equal(creds.length, 3);
  for (const c of creds) {
    t.match(c.serviceId, /^svc_/, "registration reported the agent's service and returned its id");
    const svc = (await op.get(`/api/admin/capsule-services/${c.serviceId}`)).body.data;
    t.equal(svc.agentId, c.agentId);
  }
  const coalescedBefore = s.app.runtime.counters.healthWritesCoalesced;
  const fleet = await startFleet(s.url, creds, { processes: 1, poll: "long", heartbeatIntervalMs: 300, rampMs: 50 });
  t.teardown(() => fleet.stop());
  fleet.record(); // the window opens at once: every request is the window's
  await sleep(1500);
  const r = await fleet.report();
  t.equal(r.heartbeatErrors + r.pollErrors + r.before.errors, 0, "no errors");
  t.ok(r.heartbeatMs.length >= 3, `heartbeats answered: ${r.heartbeatMs.length}`);
  t.equal(r.openPolls, 3, "each agent holds its long poll");
  // Every heartbeat carried the SDK's health: equal to the stored one, so each was coalesced as
  // unchanged health (a `{}` heartbeat is a plain contact and is not counted there); at most the
  // first per agent is a write, when the registration stored a different health.
  const coalesced = s.app.runtime.counters.healthWritesCoalesced - coalescedBefore;
  t.ok(coalesced >= r.heartbeatMs.length - creds.length, `the heartbeats carried health: ${coalesced} of ${r.heartbeatMs.length} coalesced as unchanged health`);
  for (const c of creds) {
    const health = (await op.get(`/api/admin/capsule-services/${c.serviceId}/health`)).body.data;
    t.match(JSON.stringify(health), SDK_HEALTH.message, "the SDK's health snapshot was stored");
    const svc = (await op.get(`/api/admin/capsule-services/${c.serviceId}`)).body.data;
    t.equal(svc.healthStatus, "UP");
  }
});

t.test("the lean client sends the SDK's user-agent and JSON headers", async (t) => {
  const seen: Record<string, string | string[] | undefined>[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader("content-type", "application/json");
    res.end("{}");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => server.close());
  const call = httpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  t.teardown(() => call.close());
  await call("POST", "/x", { token: "tok", body: { a: 1 } });
  t.match(SDK_USER_AGENT, /^capstan-agent\/\d+\.\d+\.\d+/);
  t.equal(seen[0]!["user-agent"], SDK_USER_AGENT);
  t.equal(seen[0]!.authorization, "Bearer tok");
  t.equal(seen[0]!["content-type"], "application/json");
  t.equal(seen[0]!.accept, "application/json");
});

t.test("the held fleet's raw client sends what the lean client sends, and reads every answer shape", async (t) => {
  const seen: { via: string; method: string; url: string; headers: string[]; body: string }[] = [];
  let via = "";
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ via, method: req.method!, url: req.url!, headers: req.rawHeaders, body: Buffer.concat(chunks).toString() });
      if (req.url === "/chunked") {
        res.write('{"data":');
        res.end("[1,2]}"); // no Content-Length: chunked
      } else if (req.url === "/close") {
        res.setHeader("connection", "close");
        res.end('{"data":"bye"}');
      } else {
        res.setHeader("content-type", "application/json");
        res.statusCode = req.url === "/busy" ? 503 : 200;
        res.end(JSON.stringify({ data: req.url }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const lean = httpClient(base);
  const raw = rawClient(base, { maxSockets: 2 });
  t.teardown(() => { lean.close(); raw.close(); });
  const body = { serviceId: "svc_1", health: SDK_HEALTH };
  via = "lean";
  await lean("POST", "/api/agents/agt_1/heartbeat", { token: "tok", body });
  via = "raw";
  const r1 = await raw("POST", "/api/agents/agt_1/heartbeat", { token: "tok", body });
  t.same(seen[1], { ...seen[0], via: "raw" }, "same method, path, headers (names, values, order) and body");
  t.same(r1.json, { data: "/api/agents/agt_1/heartbeat" });
  t.equal(r1.status, 200);
  // a prepared request (the fleet builds each agent's heartbeat once) is the same bytes
  const bytes = requestBytes(raw.host, "POST", "/api/agents/agt_1/heartbeat", { token: "tok", body });
  await raw("POST", "/api/agents/agt_1/heartbeat", { bytes });
  t.same(seen[2], seen[1]);
  t.equal((await raw("GET", "/busy")).status, 503, "an error status is an answer, not a throw");
  t.same((await raw("GET", "/chunked")).json, { data: [1, 2] }, "a chunked answer is read whole");
  t.same((await raw("GET", "/close")).json, { data: "bye" }, "Connection: close is honoured");
  // more requests than sockets queue, and every one is answered (also after the closed connection)
  const many = await Promise.all(Array.from({ length: 20 }, (_, i) => raw("GET", `/n${i}`)));
  t.same(many.map((r: { json: { data: string } }) => r.json.data), Array.from({ length: 20 }, (_, i) => `/n${i}`));
  server.closeAllConnections();
  await sleep(50);
  t.equal((await raw("GET", "/after-reset")).status, 200, "a connection the server dropped while idle is replaced");
});

t.test("rawClient keeps an idle socket only as long as undici would, and times a request out as the SDK does", async (t) => {
  const sockets = new Set<unknown>();
  // Keep-Alive: timeout=3 -> undici keeps the idle socket 3 s - 2 s = 1 s
  const server = createServer({ keepAliveTimeout: 3_000 }, (req, res) => {
    sockets.add(req.socket);
    if (req.url === "/never") return; // no answer: the client's timeout ends it
    res.setHeader("content-type", "application/json");
    res.end('{"data":1}');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.teardown(() => { server.closeAllConnections(); server.close(); });
  const raw = rawClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { maxSockets: 1 });
  t.teardown(() => raw.close());
  await raw("GET", "/a");
  await raw("GET", "/b");
  t.equal(sockets.size, 1, "reused at once");
  await sleep(1_200);
  await raw("GET", "/c");
  t.equal(sockets.size, 2, "idle past the server's hint minus 2 s: a new connection, never a write racing the server's close");
  const t0 = performance.now();
  await t.rejects(raw("GET", "/never", { timeoutMs: 300 }), { code: "TIMEOUT" });
  t.ok(performance.now() - t0 < 2_000, "the request timed out");
  t.equal((await raw("GET", "/d")).status, 200, "the timed-out socket was dropped and replaced (maxSockets 1)");
});
