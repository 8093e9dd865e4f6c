// A closed-loop HTTP load generator in its own process: `connections` keep-alive connections, each
// sending its next request as soon as the previous answer arrived, cycling through `targets`.
// Counts answers inside the measurement window (after warm-up) and prints one JSON line.
// Run: node bench/load-gen.mjs '{"url":"http://127.0.0.1:8080","targets":[{"method":"GET","path":"/healthz"}],
//        "connections":32,"warmupMs":1000,"durationMs":5000}'
import { httpClient } from "./lib/wire.mjs";
import { summarize } from "./lib/stats.mjs";

const { url, targets, connections = 32, warmupMs = 1000, durationMs = 5000 } = JSON.parse(process.argv[2]);
const call = httpClient(url, { maxSockets: connections });
const t0 = performance.now();
const windowStart = t0 + warmupMs;
const windowEnd = windowStart + durationMs;
let ok = 0;
let failed = 0;
const statuses = {};
const latencies = [];
let next = 0;

async function loop() {
  while (performance.now() < windowEnd) {
    const t = targets[next++ % targets.length];
    const started = performance.now();
    let status = 0;
    try {
      status = (await call(t.method, t.path, { token: t.token, body: t.body })).status;
    } catch {
      status = 0;
    }
    const done = performance.now();
    if (started >= windowStart && done <= windowEnd) {
      if (status === 200) ok++;
      else failed++;
      statuses[status] = (statuses[status] ?? 0) + 1;
      latencies.push(done - started);
    }
  }
}

await Promise.all(Array.from({ length: connections }, loop));
call.close();
const l = summarize(latencies);
console.log(JSON.stringify({ requestsPerSecond: ok / (durationMs / 1000), ok, failed, statuses, p50Ms: l.p50, p99Ms: l.p99 }));
