// Figure 5, console at scale: server time of the dashboard, services list and audit list (filtered
// and not), as console pages and as admin API reads, with 10,000 services and 1,000,000 audit events.
// The database is seeded by bench/console-scale.mjs (which also prints its own wall-clock page table);
// this script then runs the built server on it and reads each request's time from the server's own
// access log (`ms` of the JSON "request" line, matched by X-Request-Id). The baseline in the same run
// is the cheapest authenticated read, GET /api/admin/auth/me.
// Run after `npm run build`: node bench/console.mjs [services=10000] [auditEvents=1000000]
//   (BENCH_SMOKE=1 for a short run; BENCH_CONSOLE_DB=<path> reuses a database console-scale kept)
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { emitResult, SMOKE, verdict } from "./lib/report.mjs";
import { ROOT, startCapstan } from "./lib/server.mjs";
import { ms, num, sleep, summarize, table } from "./lib/stats.mjs";

const SERVICES = Number(process.argv[2] ?? (SMOKE ? 200 : 10_000));
const AUDIT = Number(process.argv[3] ?? (SMOKE ? 5_000 : 1_000_000));
const RUNS = SMOKE ? 5 : 30;
const WARMUP = 3;
// console-scale.mjs creates this owner in the database it seeds.
const USER = { username: "bench", password: "bench-password-123" };

let dbFile = process.env.BENCH_CONSOLE_DB;
if (!dbFile) {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", join(ROOT, "bench/console-scale.mjs"), String(SERVICES), String(AUDIT), "keep"], {
    cwd: ROOT, maxBuffer: 1 << 20,
  });
  process.stdout.write(`bench/console-scale.mjs (wall-clock over HTTP, in-process server):\n${stdout.replace(/^kept .*\n?/m, "")}\n`);
  dbFile = /^kept (.+)$/m.exec(stdout)?.[1];
  if (!dbFile) throw new Error("console-scale.mjs did not report the database it kept");
}

const targets = [
  { group: "baseline", path: "/api/admin/auth/me" },
  { group: "dashboard", path: "/" },
  { group: "dashboard", path: "/api/admin/dashboard/summary" },
  { group: "services", path: "/services" },
  { group: "services", path: "/api/admin/capsule-services" },
  { group: "services", path: "/api/admin/capsule-services?page=400" },
  { group: "audit", path: "/audit" },
  { group: "audit", path: "/api/admin/audit-events" },
  { group: "audit filtered", path: "/audit?result=FAILURE" },
  { group: "audit filtered", path: "/audit?action=command.completed&page=50" },
  { group: "audit filtered", path: "/api/admin/audit-events?result=FAILURE" },
  { group: "audit filtered", path: "/api/admin/audit-events?action=command.completed&page=50" },
  { group: "audit filtered", path: "/api/admin/audit-events?actorType=USER&from=2000-01-01T00:00:00Z" },
  // Literal substring search scans the table (documented); shown, not part of the target.
  { group: "audit search (scan)", path: "/api/admin/audit-events?q=event%2099999" },
];

const server = await startCapstan({
  dataDir: dirname(dbFile), logs: "capture",
  env: { CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "0", CAPSTAN_AUDIT_RETENTION_DAYS: "0" },
});
const rows = [];
try {
  const login = await fetch(`${server.url}/api/admin/auth/login`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(USER),
  });
  if (!login.ok) throw new Error(`login as ${USER.username} failed: ${login.status}`);
  const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const requests = [];
  for (const t of targets) {
    for (let i = 0; i < RUNS + WARMUP; i++) {
      const t0 = performance.now();
      const res = await fetch(server.url + t.path, { headers: { cookie } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${t.path}: ${res.status}`);
      if (i >= WARMUP) requests.push({ t, id: res.headers.get("x-request-id"), wall: performance.now() - t0 });
    }
  }
  await sleep(300); // the access log line is written just after the response is sent
  const serverMs = new Map();
  for (const line of server.logLines) {
    if (!line.startsWith("{")) continue;
    const l = JSON.parse(line);
    if (l.msg === "request") serverMs.set(l.requestId, l.ms);
  }
  for (const t of targets) {
    const mine = requests.filter((r) => r.t === t);
    rows.push({ ...t, server: summarize(mine.map((r) => serverMs.get(r.id)).filter((v) => v !== undefined)), wall: summarize(mine.map((r) => r.wall)) });
  }
} finally {
  await server.stop();
  if (!process.env.BENCH_CONSOLE_DB) rmSync(dirname(dbFile), { recursive: true, force: true });
}

console.log(`console at scale: ${num(SERVICES)} services, ${num(AUDIT)} audit events; ${RUNS} requests per path after ${WARMUP} warm-up; server time from the access log`);
console.log(table([
  ["group", "path", "server p50", "server p95", "wall p95"],
  ...rows.map((r) => [r.group, r.path, ms(r.server.p50), ms(r.server.p95), ms(r.wall.p95)]),
]));
const judged = rows.filter((r) => ["dashboard", "services", "audit", "audit filtered"].includes(r.group));
const worst = judged.reduce((a, b) => (b.server.p95 > a.server.p95 ? b : a));
const base = rows.find((r) => r.group === "baseline");
emitResult("console", [{
  name: `5. Console at scale: worst p95 (${worst.path})`, value: ms(worst.server.p95), baseline: `GET /api/admin/auth/me ${ms(base.server.p95)}`,
  ratio: Number((worst.server.p95 / base.server.p95).toFixed(1)), target: "p95 < 100 ms", met: verdict(worst.server.p95 < 100),
}]);
