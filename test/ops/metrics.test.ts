import { createRequire } from "node:module";
import t from "tap";
import { createApiToken } from "../../src/domain/apiTokens.js";
import { kit } from "../commandKit.js";
import { startTestServer, type TestServer } from "../helpers.js";
import { sqliteHandle } from "../../src/db/open.js";
import { databaseEnv, onPostgres } from "../testDb.js";

interface Family {
  name: string;
  type: string;
  metrics: unknown[];
}
// a CommonJS module without types: loaded through require so the test needs no declaration file
const parsePrometheus = createRequire(import.meta.url)("parse-prometheus-text-format") as (text: string) => Family[];

// NaN and Inf are case-insensitive, as Prometheus reads them (ParseFloat); prom-client writes "Nan"
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|[+-]Inf|NaN)( -?[0-9]+)?$/i;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reading of the text format: every line is HELP, TYPE or a well-formed sample of a declared
 * family. Returns the samples (the library above flattens labelled histograms, so values are read here).
 */
function strictParse(text: string): { problems: string[]; samples: Sample[] } {
  const problems: string[] = [];
  const samples: Sample[] = [];
  const typed = new Set<string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(meta[3]!)) problems.push(`bad type: ${line}`);
        typed.add(meta[2]!);
      }
      continue;
    }
    if (!SAMPLE.test(line)) {
      problems.push(`bad sample: ${line}`);
      continue;
    }
    const name = /^[^{ ]+/.exec(line)![0];
    const family = name.replace(/_(bucket|sum|count)$/, "");
    if (!typed.has(name) && !typed.has(family)) problems.push(`sample before its TYPE: ${line}`);
    const labels: Record<string, string> = {};
    for (const m of (/\{(.*)\}/.exec(line)?.[1] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"/g)) labels[m[1]!] = m[2]!;
    samples.push({ name, labels, value: Number(line.slice(line.lastIndexOf(" ") + 1)) });
  }
  return { problems, samples };
}

interface Scrape {
  families: Map<string, Family>;
  samples: Sample[];
}

async function scrape(s: TestServer, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(`${s.url}/metrics`, { headers });
  if (res.status !== 200) throw new Error(`scrape: ${res.status}`);
  const text = await res.text();
  const { problems, samples } = strictParse(text);
  if (problems.length) throw new Error(`malformed exposition:\n${problems.slice(0, 5).join("\n")}`);
  return { families: new Map(parsePrometheus(text).map((f) => [f.name, f])), samples };
}

/** The value of the sample with this name whose labels include `labels` (0 when absent). */
const value = (sc: Scrape, name: string, labels: Record<string, string> = {}): number =>
  sc.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value ?? 0;

t.test("CAPSTAN_METRICS=off hides /metrics", async (t) => {
  const s = await startTestServer(t);
  const res = await s.anon.get("/metrics");
  t.equal(res.status, 404);
  t.equal(res.body.error.code, "NOT_FOUND");
});

t.test("public /metrics parses as Prometheus text and moves with heartbeats and commands", async (t) => {
  const k = await kit(t, { env: { CAPSTAN_METRICS: "public" } });
  const { s } = k;
  const res = await fetch(`${s.url}/metrics`);
  t.match(res.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
  await res.text();

  const before = await scrape(s);
  for (const name of [
    "capstan_info", "capstan_agents", "capstan_capsule_services", "capstan_commands", "capstan_command_duration_seconds",
    "capstan_http_requests_total", "capstan_http_request_duration_seconds", "capstan_long_polls_open",
    "capstan_heartbeats_received_total", "capstan_audit_events_written_total", "capstan_db_size_bytes",
    "process_cpu_user_seconds_total", "process_resident_memory_bytes", "nodejs_heap_size_used_bytes",
  ]) t.ok(before.families.has(name), `${name} is exported`);
  t.equal(before.families.get("capstan_command_duration_seconds")!.type, "HISTOGRAM");
  t.equal(before.families.get("capstan_http_requests_total")!.type, "COUNTER");
  t.equal(value(before, "capstan_agents", { status: "ONLINE" }), 1, "the kit's agent is ONLINE");
  if (s.db.kind === "sqlite") {
    const pages = (sqliteHandle(s.db).pragma("page_count", { simple: true }) as number) * (sqliteHandle(s.db).pragma("page_size", { simple: true }) as number);
    t.equal(value(before, "capstan_db_size_bytes", { file: "main" }), pages, "database size is page_count x page_size");
  } else {
    const size = (await s.db.get<{ n: number }>(`SELECT pg_database_size(current_database()) AS n`))!.n;
    t.ok(Math.abs(value(before, "capstan_db_size_bytes", { file: "main" }) - size) < size / 2, "database size is pg_database_size");
  }

  for (let i = 0; i < 3; i++) t.equal((await k.agent.post(`/api/agents/${k.agentId}/heartbeat`, {})).status, 200);
  const id = await k.running("echo", { payload: { message: "hi" } });
  t.equal((await k.result(id, { success: true, message: "done" })).status, 200);

  const after = await scrape(s);
  t.ok(value(after, "capstan_heartbeats_received_total") >= value(before, "capstan_heartbeats_received_total") + 3, "heartbeats counted");
  t.equal(
    value(after, "capstan_commands", { status: "SUCCEEDED", type: "ACTION_EXECUTE" }),
    value(before, "capstan_commands", { status: "SUCCEEDED", type: "ACTION_EXECUTE" }) + 1,
    "the finished command is counted by status and type",
  );
  t.equal(value(after, "capstan_command_duration_seconds_count", { type: "ACTION_EXECUTE", status: "SUCCEEDED" }), 1, "its duration observed once");
  t.ok(value(after, "capstan_audit_events_written_total") > value(before, "capstan_audit_events_written_total"), "audit events counted");
  const beats = value(after, "capstan_http_requests_total", { route: "/api/agents/:agentId/heartbeat", status: "200", method: "POST" });
  t.ok(beats >= 3, "requests labelled by route pattern, never by raw path");
  t.ok(value(after, "capstan_http_request_duration_seconds_count", { route: "/api/agents/:agentId/heartbeat" }) >= 3, "latency histogram by route");
  t.notOk(after.samples.some((m) => m.labels.route?.includes(k.agentId)), "no ids in labels");

  const again = await scrape(s);
  t.equal(value(again, "capstan_command_duration_seconds_count", { type: "ACTION_EXECUTE", status: "SUCCEEDED" }), 1, "a command is observed once, not per scrape");
});

t.test("CAPSTAN_METRICS=token needs an API token of any role", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_METRICS: "token" } });
  const viewer = await s.loginAs("viewer");
  t.equal((await s.anon.get("/metrics")).status, 401, "no credentials");
  t.equal((await viewer.get("/metrics")).status, 401, "a session cookie is not a scrape credential");
  t.equal((await s.clientWith({ token: "capstan_pat_notarealtoken000000000000000000000" }).get("/metrics")).status, 401, "unknown token");
  t.equal((await s.clientWith({ token: "opstage_agent_notarealtoken00000000000000000000" }).get("/metrics")).status, 401, "agent token");
  const tok = await createApiToken(s.app, { type: "SYSTEM", id: null }, viewer.userId!, { name: "prometheus" });
  const ok = await s.clientWith({ token: tok.rawToken }).get("/metrics");
  t.equal(ok.status, 200);
  t.match(ok.text, /capstan_agents\{status="ONLINE"\} 0/);
  t.equal((await s.clientWith({ token: tok.rawToken }).get("/metrics?x=1")).status, 422, "unknown query parameters refused");
});

t.test("admin metrics JSON follows the reference AdminMetrics", async (t) => {
  const k = await kit(t);
  const { s } = k;
  t.equal((await s.anon.get("/api/admin/metrics")).status, 401);
  const viewer = await s.loginAs("viewer");
  const id = await k.running("echo", { payload: { message: "x" } });
  await k.result(id, { success: false, error: { code: "BOOM", message: "failed" } });
  const res = await viewer.get("/api/admin/metrics");
  t.equal(res.status, 200);
  const m = res.body.data;
  t.equal(m.totals.agents, 1);
  t.equal(m.totals.capsuleServices, 1);
  t.equal(m.totals.commands, 1);
  t.equal(m.byStatus.agents.ONLINE, 1);
  t.equal(m.byStatus.commands.FAILED, 1);
  t.same(Object.keys(m.byStatus.capsuleServices).sort(), ["HEALTHY", "OFFLINE", "STALE", "UNHEALTHY", "UNKNOWN"]);
  for (const key of [
    "agentCommandPolls", "commandsDispatched", "commandsCompleted", "commandsFailed", "actionPrepareRequested",
    "actionPrepareTimeouts", "actionPrepareFailures", "oversizedCommandResultsRejected",
  ]) t.ok(Number.isInteger(m.operational[key]), `operational.${key} is an integer`);
  t.equal(m.operational.commandsDispatched, 1);
  t.equal(m.operational.commandsFailed, 1);
  t.ok(m.operational.agentCommandPolls >= 1);
  t.equal((await viewer.get("/api/admin/metrics?page=1")).status, 422);
});

t.test("diagnostics: runtime, memory, config without secrets, database, migrations", async (t) => {
  const adminPassword = "diagnostics-secret-password-1";
  const s = await startTestServer(t, { env: { CAPSTAN_ADMIN_PASSWORD: adminPassword } });
  t.equal((await s.anon.get("/api/admin/diagnostics")).status, 401);
  const viewer = await s.loginAs("viewer");
  const res = await viewer.get("/api/admin/diagnostics");
  t.equal(res.status, 200);
  const d = res.body.data;
  t.notOk(res.text.includes(adminPassword), "the admin password never appears");
  t.notOk("adminPassword" in d.config);
  t.equal(d.config.metrics, "off");
  t.equal(d.runtime.version, s.app.version);
  t.equal(d.runtime.node, process.version);
  // the server runs in this process, so its figures are this process's and this database's
  const rss = process.memoryUsage().rss;
  t.ok(Math.abs(d.memory.rss - rss) < rss / 2, `rss ${d.memory.rss} is this process's (${rss})`);
  t.equal(d.database.kind, s.db.kind);
  if (s.db.kind === "sqlite") {
    t.equal(d.database.pageCount, sqliteHandle(s.db).pragma("page_count", { simple: true }), "pageCount is the database's");
    t.equal(d.database.journalMode, "wal");
  } else {
    t.ok(d.database.sizeBytes > 0);
    t.match(d.database.serverVersion, /^\d+/);
    t.equal(d.database.database, new URL(s.config.databaseUrl!).pathname.slice(1));
  }
  t.equal(d.migrations.databaseVersion, d.migrations.codeVersion, "fully migrated");
  t.ok(d.migrations.files.every((f: { applied: boolean }) => f.applied));
  t.equal((await viewer.get("/api/admin/diagnostics?verbose=1")).status, 422);
});

t.test("diagnostics never show the password of CAPSTAN_DATABASE_URL", { skip: onPostgres ? false : "PostgreSQL only (CAPSTAN_TEST_DATABASE=postgres)" }, async (t) => {
  // the throwaway cluster trusts local connections, so a URL with a password still connects
  const dbEnv = await databaseEnv(t);
  const u = new URL(dbEnv.CAPSTAN_DATABASE_URL!);
  u.password = "db-url-password-31337";
  const s = await startTestServer(t, { env: { CAPSTAN_DATABASE_URL: u.toString() } });
  const viewer = await s.loginAs("viewer");
  const res = await viewer.get("/api/admin/diagnostics");
  t.equal(res.status, 200);
  t.notOk(res.text.includes("db-url-password-31337"), "the password is not in diagnostics");
  t.match(res.body.data.config.databaseUrl, /\*\*\*@/, "the URL is shown with the password masked");
  const page = await viewer.get("/settings");
  t.notOk(page.text.includes("db-url-password-31337"), "nor on the settings page");
});
