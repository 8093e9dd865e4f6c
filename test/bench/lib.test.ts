// The benchmark helpers that every figure depends on: percentiles, /proc sampling, and the bare
// baseline server answering the agent protocol the way the simulated agents expect.
import t from "tap";
// @ts-expect-error plain ESM helpers without type declarations
import { summarize, median } from "../../bench/lib/stats.mjs";
// @ts-expect-error plain ESM helpers without type declarations
import { procStats } from "../../bench/lib/proc.mjs";
// @ts-expect-error plain ESM helpers without type declarations
import { startBare } from "../../bench/lib/server.mjs";
// @ts-expect-error plain ESM helpers without type declarations
import { httpClient } from "../../bench/lib/wire.mjs";

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
