// Console pages at scale: dashboard, services list and audit list with 10,000 services and 1,000,000
// audit events. Seeds a database file directly (fast bulk SQL), starts a real server on it, logs in
// through the console and times each page over HTTP (an upper bound on server time).
// Run: node --import tsx bench/console-scale.mjs [services=10000] [auditEvents=1000000] [keep]
// (keep leaves the seeded database and prints its path; a path as the 5th argument reuses it.)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { openDb, sqliteHandle } from "../src/db/open.ts";
import { createUser } from "../src/domain/users.ts";
import { newId } from "../src/ids.ts";
import { createLogger } from "../src/log.ts";
import { startServer } from "../src/server.ts";

const SERVICES = Number(process.argv[2] ?? 10_000);
const AUDIT = Number(process.argv[3] ?? 1_000_000);
const AGENTS = Math.max(1, Math.ceil(SERVICES / 10));
const COMMANDS = 20_000;
const RUNS = 30;

const reuse = process.argv[5];
const dir = reuse ? dirname(reuse) : mkdtempSync(join(tmpdir(), "capstan-console-bench-"));
const dbFile = reuse ?? join(dir, "capstan.db");
const now = Date.now();
const iso = (ms) => new Date(ms).toISOString();

// bulk seeding on the raw handle: millions of rows, not an application code path
async function seed() {
  const db = sqliteHandle(await openDb(dbFile));
  const t0 = performance.now();
  const agent = db.prepare(`INSERT INTO agents (id, code, name, status, last_heartbeat_at, registered_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const service = db.prepare(`INSERT INTO capsule_services (id, agent_id, code, name, version, health_status, last_reported_at, last_health_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const command = db.prepare(`INSERT INTO commands (id, agent_id, service_id, type, action_name, status, created_at, started_at, completed_at, expires_at) VALUES (?, ?, ?, 'ACTION_EXECUTE', 'echo', ?, ?, ?, ?, ?)`);
  const audit = db.prepare(`INSERT INTO audit_events (id, created_at, actor_type, actor_id, action, target_type, target_id, result, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const agentIds = [];
  const serviceIds = [];
  db.transaction(() => {
    for (let i = 0; i < AGENTS; i++) {
      const id = newId("agt", now - 86_400_000);
      agentIds.push(id);
      // most online, some silent for an hour (OFFLINE by threshold)
      const hb = i % 10 === 0 ? now - 3_600_000 : now - 5_000;
      agent.run(id, `agent-${i}`, `Agent ${i}`, "ONLINE", iso(hb), iso(now - 86_400_000), iso(now - 86_400_000), iso(now));
    }
    for (let i = 0; i < SERVICES; i++) {
      const id = newId("svc", now - 86_400_000 + i);
      serviceIds.push(id);
      const health = i % 17 === 0 ? "DOWN" : i % 23 === 0 ? "DEGRADED" : "UP";
      const last = i % 29 === 0 ? now - 3_600_000 : now - 10_000;
      service.run(id, agentIds[i % AGENTS], `service-${i}`, `Service ${i}`, "1.0.0", health, iso(last), iso(last), iso(now - 86_400_000 + i), iso(now));
    }
    for (let i = 0; i < COMMANDS; i++) {
      const created = now - Math.floor((i / COMMANDS) * 86_400_000);
      const status = i % 9 === 0 ? "FAILED" : "SUCCEEDED";
      command.run(newId("cmd", created), agentIds[i % AGENTS], serviceIds[i % SERVICES], status, iso(created), iso(created + 5), iso(created + 50), iso(created + 300_000));
    }
  })();
  const actions = ["command.completed", "command.dispatched", "agent.heartbeat.received", "service.reported", "session.login.succeeded"];
  const BATCH = 50_000;
  for (let done = 0; done < AUDIT; done += BATCH) {
    db.transaction(() => {
      for (let i = done; i < Math.min(AUDIT, done + BATCH); i++) {
        const at = now - Math.floor(((AUDIT - i) / AUDIT) * 30 * 86_400_000);
        audit.run(newId("aud", at), iso(at), i % 3 ? "AGENT" : "USER", agentIds[i % AGENTS], actions[i % actions.length], "Agent", agentIds[i % AGENTS], i % 50 ? "SUCCESS" : "FAILURE", `event ${i}`);
      }
    })();
  }
  db.exec("ANALYZE");
  db.close();
  return performance.now() - t0;
}

const seedMs = reuse ? 0 : await seed();
const config = loadConfig({ CAPSTAN_PORT: "0", CAPSTAN_DATA_DIR: dir, CAPSTAN_LOG_LEVEL: "silent", CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "0", CAPSTAN_AUDIT_RETENTION_DAYS: "0" });
const server = await startServer({ config, log: createLogger({ level: "silent", format: "json" }) });
await createUser(server.app, { type: "SYSTEM", id: null }, { username: "bench", password: "bench-password-123", role: "owner" }).catch(() => undefined); // reused database: already there
const login = await fetch(`${server.url}/login`, {
  method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" },
  body: "username=bench&password=bench-password-123",
});
const cookie = login.headers.getSetCookie()[0].split(";")[0];

async function time(path, hx = false) {
  const samples = [];
  let status = 0;
  let bytes = 0;
  for (let i = 0; i < RUNS + 3; i++) {
    const t0 = performance.now();
    const res = await fetch(server.url + path, { headers: { cookie, ...(hx ? { "hx-request": "true" } : {}) } });
    const body = await res.text();
    const ms = performance.now() - t0;
    status = res.status;
    bytes = body.length;
    if (i >= 3) samples.push(ms); // the first requests warm statement caches and templates
  }
  samples.sort((a, b) => a - b);
  return { path: path + (hx ? " (htmx)" : ""), status, kb: (bytes / 1024).toFixed(1), median: samples[Math.floor(samples.length / 2)].toFixed(1), p95: samples[Math.floor(samples.length * 0.95)].toFixed(1) };
}

const results = [];
for (const [p, hx] of [
  ["/", false], ["/services", false], ["/services?status=UNHEALTHY", false], ["/services?q=service-99", false], ["/services?page=400", false],
  ["/audit", false], ["/audit?result=FAILURE", false], ["/audit?action=command.completed&page=50", false], ["/audit?q=event%2099999", false],
  ["/", true], ["/services", true], ["/audit", true],
]) results.push(await time(p, hx));

console.log(`seeded ${SERVICES} services, ${AGENTS} agents, ${COMMANDS} commands, ${AUDIT} audit events in ${(seedMs / 1000).toFixed(1)} s`);
console.log(`node ${process.version}, ${RUNS} runs per page after 3 warm-up requests; times in ms over HTTP on localhost`);
console.log("| page | status | KiB | median ms | p95 ms |\n|---|---|---|---|---|");
for (const r of results) console.log(`| \`${r.path}\` | ${r.status} | ${r.kb} | ${r.median} | ${r.p95} |`);
await server.close();
if (process.argv[4] === "keep" || reuse) console.log(`kept ${dbFile}`);
else rmSync(dir, { recursive: true, force: true });
