// Property-based fuzzing of the whole route table: at least 10,000 generated hostile requests (see
// _fuzzArbs.ts) against a real server. Properties: never a 5xx, never a hang, /api errors always in
// the envelope, no stack or SQL in any answer; afterwards the server is healthy, logged no
// unexpected error and the database passes integrity_check.
import fc from "fast-check";
import http from "node:http";
import t from "tap";
import { createApiToken } from "../../src/domain/apiTokens.js";
import type { AnyRoute } from "../../src/context.js";
import { ACTIONS } from "../commandKit.js";
import { createRegistrationToken, registerTestAgent, reportedService } from "../fixtures.js";
import { dbPath, startTestServer } from "../helpers.js";
import { bodyArb, CONTENT_TYPES, credArb, evilInputArb, hostileSchemaArb, paramArb, queryArb, type BodySpec, type CredKind } from "./_fuzzArbs.js";
import { integrityCheck, rawRequest } from "./_kit.js";
import { sqliteHandle } from "../../src/db/open.js";

// the file as a whole, not only its subtests: 10,000 requests plus hostile schemas take longer than tap's
// 120 s per-file limit on a loaded 2-core machine
t.setTimeout(360_000);

const WORKERS = 4;
const RUNS_PER_WORKER = 2_600; // 4 x 2,600 = 10,400 requests
/** A safety stop, far above the ~35 s a run takes: a pathological slowdown fails clearly instead of hanging CI. */
const TIME_BUDGET_MS = 180_000;
/** Routes that legitimately wait (long poll, prepare): the client hangs up early, which is part of the test. */
const WAITING = new Set(["pollCommands", "prepareAction", "prepareActionPage"]);
const LEAK = /SqliteError|SQLITE_|\bat [\w.<>]+ \(|\.ts:\d+:\d+|node:internal/;

/** Valid query strings of the routes that take one; the generators mutate them. */
const QUERIES: Record<string, Record<string, string>> = {
  pollCommands: { limit: "5", waitSeconds: "1" },
  listCommands: { page: "1", pageSize: "50", sort: "-createdAt", status: "RUNNING", actionName: "echo", from: "2020-01-01T00:00:00Z" },
  listAuditEvents: { page: "2", q: "command", actorType: "USER", result: "FAILURE", to: "2030-01-01T00:00:00Z" },
  exportAuditEvents: { format: "csv", q: "a" },
  listServices: { status: "HEALTHY", sort: "code" },
  listAgents: { status: "ONLINE", page: "1" },
  listUsers: { role: "owner" },
  listRegistrationTokens: { status: "ACTIVE" },
  showLogin: { next: "/commands" },
  listCommandsPage: { status: "FAILED", page: "1" },
  listAuditPage: { q: "x", format: "csv" },
};

/** Valid bodies per route name; the generators mutate them. Routes not listed start from {}. */
function templates(regToken: string, serviceCode: string): Record<string, Record<string, unknown>> {
  return {
    adminLogin: { username: "owner-user", password: "not-the-password-123" },
    submitLogin: { username: "owner-user", password: "not-the-password-123", next: "/" },
    createUser: { username: "fuzz-user", password: "fuzz-user-password-1", role: "viewer", displayName: "Fuzz" },
    createUserPage: { username: "fuzz-user-2", password: "fuzz-user-password-1", role: "viewer" },
    updateUser: { role: "viewer", status: "ACTIVE" },
    updateUserPage: { role: "viewer", status: "ACTIVE" },
    resetUserPassword: { password: "another-password-12" },
    resetUserPasswordPage: { password: "another-password-12" },
    createApiToken: { name: "fuzz", expiresInSeconds: 3600 },
    createApiTokenPage: { name: "fuzz", expiresInSeconds: "3600" },
    createRegistrationToken: { name: "fuzz", expiresInSeconds: 3600, maxUses: 2 },
    createTokenPage: { name: "fuzz", expiresInSeconds: "3600", maxUses: "1" },
    // a TEST-NET address: refused by the egress rule unless mutated (no real receiver is ever reached)
    createWebhook: { name: "fuzz", url: "http://192.0.2.10/hook", events: ["command.failed"], format: "slack" },
    createNotificationPage: { name: "fuzz", url: "http://192.0.2.10/hook", events: "command.failed", format: "standard", enabled: "true" },
    registerAgent: {
      registrationToken: regToken, agent: { code: "fuzz-registered", mode: "embedded", version: "1.0" }, service: reportedService("fuzz-registered-svc"),
    },
    sendHeartbeat: { health: { status: "UP", message: "fine", details: { q: 1 } } },
    reportServices: { services: [reportedService(serviceCode, { actions: ACTIONS })] },
    reportProgress: { percent: 0.5, message: "half", logs: [{ level: "info", message: "step" }] },
    reportResult: { success: true, message: "done", data: { n: 1, generatedKey: "fuzz-generated-key" } },
    runAction: { payload: { message: "hi", times: 2 }, confirmation: true },
    runActionPage: { message: "hi", confirmation: "true" },
    retryCommand: { confirmation: true },
    retryCommandPage: { confirmation: "true" },
  };
}

interface Target {
  route: AnyRoute;
  method: string;
  params: Record<string, { pick: number; value: string; encode: boolean; real: boolean }>;
  query: [string, string][];
  body: BodySpec;
  contentType: string;
  cred: CredKind;
}

t.test("10,000 generated hostile requests: no 5xx, no hang, no leak, intact database", async (t) => {
  t.setTimeout(TIME_BUDGET_MS + 90_000);
  const s = await startTestServer(t, { env: { CAPSTAN_PREPARE_TIMEOUT_SECONDS: "0.1", CAPSTAN_METRICS: "token", CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "2", CAPSTAN_BUS_ENABLED: "true", CAPSTAN_MESSAGES_ENABLED: "true" } });
  const owner = await s.loginAs("owner");
  const viewer = await s.loginAs("viewer"); // its user and API token are what admin routes may change
  const pat = (await createApiToken(s.app, { type: "SYSTEM", id: null }, owner.userId!, { name: "fuzz" })).rawToken;
  const spareToken = (await viewer.post("/api/admin/api-tokens", { name: "spare" })).body.data.id as string;
  const a = await registerTestAgent(s, { code: "fuzz-agent-a", serviceCode: "fuzz-service-a", actions: ACTIONS });
  const b = await registerTestAgent(s, { code: "fuzz-agent-b", serviceCode: "fuzz-service-b" });
  const fleet = (await owner.post("/api/admin/registration-tokens", { name: "fleet", maxUses: 1000, expiresInSeconds: 3600 })).body.data;
  await createRegistrationToken(owner, { name: "spare" });
  const regIds = (await owner.get("/api/admin/registration-tokens")).body.data.map((r: { id: string }) => r.id as string);
  const commandIds: string[] = [];
  for (let i = 0; i < 3; i++) commandIds.push((await a.operator.post(`/api/admin/capsule-services/${a.serviceId}/actions/echo`, { payload: { message: `m${i}` } })).body.data.id);
  await a.agent.get(`/api/agents/${a.agentId}/commands?limit=2`); // two RUNNING, one PENDING
  const auditIds = (await owner.get("/api/admin/audit-events?pageSize=5")).body.data.map((e: { id: string }) => e.id as string);

  // Real values per path parameter. Admin routes only ever get agent B and its service as real ids, so
  // the fuzzer may disable, revoke or release them while agent A keeps serving the agent routes.
  const pools: Record<string, string[]> = {
    agentId: [b.agentId], serviceId: [a.serviceId, b.serviceId], commandId: commandIds, userId: [viewer.userId!],
    tokenId: [spareToken, ...regIds.filter((id: string) => id !== fleet.id)], auditEventId: auditIds,
    actionName: ACTIONS.map((x) => x.name), op: ["disable", "enable", "revoke", "reenrol", "hasOwnProperty", "constructor", "__proto__", "toString"],
    tab: ["health", "configs", "actions", "commands", "manifest", "constructor", "__proto__"], file: ["app.css", "htmx.min.js", "favicon.svg", "constructor"],
  };
  const poolFor = (r: AnyRoute, name: string): string[] => {
    if (name === "agentId" && r.auth === "agent") return [a.agentId];
    if (name === "serviceId" && r.name.startsWith("releaseService")) return [b.serviceId];
    return pools[name] ?? [];
  };

  const tpl = templates(fleet.rawToken, "fuzz-service-a");
  const routeArb = (r: AnyRoute): fc.Arbitrary<Target> => {
    const names = [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    type Drawn = [number, { value: string; encode: boolean }, number];
    const params: fc.Arbitrary<Record<string, Drawn>> = fc.record(Object.fromEntries(names.map((n) => [n, fc.tuple(fc.nat(), paramArb(poolFor(r, n)), fc.nat(9))])));
    return fc
      .record({
        params,
        method: fc.oneof({ weight: 19, arbitrary: fc.constant(r.method) }, { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS") }),
        query: queryArb(QUERIES[r.name] ?? {}),
        body: bodyArb(tpl[r.name] ?? {}),
        contentType: fc.constantFrom(...CONTENT_TYPES),
        cred: credArb,
      })
      .map(({ params, ...rest }) => ({
        route: r, ...rest,
        params: Object.fromEntries(Object.entries(params).map(([n, [pick, v, realRoll]]) => {
          const pool = poolFor(r, n);
          // 6 in 10: a real value, chosen at send time so ids created during the run join in
          const real = pool.length > 0 && realRoll < 6;
          return [n, { pick, value: v.value, encode: v.encode, real }];
        })),
      }));
  };
  const requestArb = fc.oneof(...s.routes.map(routeArb));

  const authHeaders = (x: Target): Record<string, string> => {
    const agentRoute = x.route.auth === "agent";
    switch (x.cred) {
      case "right": return x.route.auth === "public" ? {} : { authorization: `Bearer ${agentRoute ? a.agentToken : pat}` };
      case "none": return {};
      case "garbage": return { authorization: "Bearer ' OR 1=1 --", cookie: "capstan_session=../../etc/passwd" };
      case "wrongKind": return { authorization: `Bearer ${agentRoute ? pat : a.agentToken}` };
      case "adminForAgent": return { cookie: owner.cookie!, "x-csrf-token": owner.csrf! };
    }
  };

  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 2 * WORKERS });
  t.teardown(() => keepAlive.destroy());
  const stats = { sent: 0, byStatus: new Map<number, number>(), hungUpEarly: 0, skipped: 0 };

  const send = async (x: Target): Promise<void> => {
    const path = x.route.path.replace(/:(\w+)/g, (_m: string, n: string) => {
      const p = x.params[n]!;
      const pool = poolFor(x.route, n);
      if (p.real) return encodeURIComponent(pool[p.pick % pool.length]!);
      return p.encode ? encodeURIComponent(p.value) : p.value;
    });
    const qs = x.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
    const b = x.body;
    const body = x.method === "GET" || x.method === "HEAD" || b.kind === "none" ? undefined : b.kind === "json" ? Buffer.from(JSON.stringify(b.value) ?? "null") : b.bytes;
    const hasBody = body !== undefined;
    const contentType = x.body.kind === "form" ? "application/x-www-form-urlencoded" : x.contentType;
    const headers: Record<string, string> = { ...authHeaders(x), ...(hasBody && contentType ? { "content-type": contentType } : {}) };
    const waits = WAITING.has(x.route.name);
    let res;
    try {
      res = await rawRequest(s.url, { method: x.method, path: path + (qs ? `?${qs}` : ""), headers, body, agent: keepAlive, timeoutMs: waits ? 400 : 15_000 });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "ERR_UNESCAPED_CHARACTERS" || code === "ERR_INVALID_CHAR" || err instanceof TypeError) {
        stats.skipped++; // node:http refuses to put these bytes in a request line: nothing was sent
        return;
      }
      if (code === "CLIENT_TIMEOUT" && waits) {
        stats.sent++;
        stats.hungUpEarly++;
        return;
      }
      throw new Error(`${x.method} ${path.slice(0, 200)} [${x.route.name}, ${x.cred}, ${x.body.kind}]: no answer (${code ?? String(err)}) ${JSON.stringify({ qs: qs.slice(0, 200), headers })}`);
    }
    stats.sent++;
    stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
    const where = `${x.method} ${path.slice(0, 200)} [${x.route.name}, ${x.cred}]`;
    if (res.status >= 500 || res.status < 100) throw new Error(`${where}: ${res.status} ${res.body.slice(0, 300)}`);
    if (LEAK.test(res.body) && !x.route.name.includes("Backup")) throw new Error(`${where}: internals leaked: ${res.body.slice(0, 300)}`);
    if (res.status >= 400 && path.startsWith("/api/") && x.method !== "HEAD") {
      if (res.json?.success !== false || typeof res.json?.error?.code !== "string" || typeof res.json?.error?.message !== "string") {
        throw new Error(`${where}: ${res.status} without the error envelope: ${res.body.slice(0, 300)}`);
      }
    }
    const id = res.json?.data?.id;
    if (typeof id === "string" && id.startsWith("cmd_") && commandIds.length < 60) commandIds.push(id);
  };

  const started = Date.now();
  const seed = Number(process.env.CAPSTAN_FUZZ_SEED ?? Date.now() % 1_000_000);
  t.comment(`fuzz seed ${seed} (rerun with CAPSTAN_FUZZ_SEED=${seed})`);
  const results = await Promise.all(
    Array.from({ length: WORKERS }, (_, i) =>
      fc.check(fc.asyncProperty(requestArb, send), { numRuns: RUNS_PER_WORKER, seed: seed + i, interruptAfterTimeLimit: TIME_BUDGET_MS, endOnFailure: true }),
    ),
  );
  const elapsed = Date.now() - started;
  for (const [i, r] of results.entries()) {
    // the counterexample itself can be megabytes: report the failure and how to replay it
    const why = r.failed ? `${String((r.errorInstance as Error | undefined)?.message ?? r.errorInstance).slice(0, 600)} (seed ${r.seed}, path ${r.counterexamplePath})` : "";
    t.notOk(r.failed, `worker ${i}: no failing request ${why}`);
    if (r.interrupted) t.comment(`worker ${i} stopped by the time budget after ${r.numRuns} runs`);
  }
  t.ok(stats.sent >= 10_000, `at least 10,000 requests sent (sent ${stats.sent}${results.some((r) => r.interrupted) ? ", stopped by the time budget" : ""})`);
  t.comment(
    `fuzz: ${stats.sent} requests in ${(elapsed / 1000).toFixed(1)} s (${stats.hungUpEarly} long polls/prepares hung up early, ${stats.skipped} unsendable); ` +
    `statuses ${[...stats.byStatus].sort((x, y) => x[0] - y[0]).map(([k, v]) => `${k}:${v}`).join(" ")}`,
  );

  t.equal((await fetch(`${s.url}/api/system/health`)).status, 200, "the server still answers its health check");
  t.equal((await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, {})).status, 200, "agent A still works");
  const errors = s.logs.filter((l) => JSON.parse(l).level === "error");
  t.same(errors.map((l) => l.slice(0, 1500)), [], "no request failed unexpectedly (nothing logged at error level)");
  if (s.db.kind === "sqlite") {
    t.equal((sqliteHandle(s.db).pragma("integrity_check") as { integrity_check: string }[])[0]!.integrity_check, "ok", "integrity_check on the live database");
    t.equal((sqliteHandle(s.db).pragma("foreign_key_check") as unknown[]).length, 0, "no dangling references");
    await s.close();
    t.equal(integrityCheck(dbPath(s)), "ok", "integrity_check on the closed file");
  } else {
    // PostgreSQL enforces foreign keys itself and has no online integrity_check; the server must close cleanly
    await s.close();
    t.comment("PostgreSQL: the SQLite integrity_check/foreign_key_check pragmas do not apply");
  }
});

/** A catastrophic regex on a backtracking engine takes seconds to hours; with RE2 and the limits, a request stays short. */
const SCHEMA_REQUEST_MAX_MS = 2_000;

t.test("hostile inputSchemas reported by an agent, then run: no 5xx, bounded latency", async (t) => {
  t.setTimeout(120_000);
  const s = await startTestServer(t);
  const x = await registerTestAgent(s, { code: "fuzz-schema-agent", serviceCode: "fuzz-schema-svc" });
  const stats = { accepted: 0, refused: 0, executed: new Map<number, number>(), slowestMs: 0 };
  const timed = async (what: string, fn: () => Promise<{ status: number; text: string; body: any }>) => {
    const started = performance.now();
    const res = await fn();
    const ms = performance.now() - started;
    stats.slowestMs = Math.max(stats.slowestMs, ms);
    if (res.status >= 500) throw new Error(`${what}: ${res.status} ${res.text.slice(0, 300)}`);
    if (res.status >= 400 && (res.body?.success !== false || typeof res.body?.error?.code !== "string")) throw new Error(`${what}: ${res.status} without the envelope`);
    if (ms > SCHEMA_REQUEST_MAX_MS) throw new Error(`${what}: took ${ms.toFixed(0)} ms`);
    return res;
  };
  const seed = Number(process.env.CAPSTAN_FUZZ_SEED ?? Date.now() % 1_000_000);
  t.comment(`schema fuzz seed ${seed}`);
  const result = await fc.check(
    fc.asyncProperty(hostileSchemaArb, fc.array(evilInputArb, { minLength: 1, maxLength: 3 }), async (inputSchema, inputs) => {
      const action = { name: "hostile", label: "Hostile", inputSchema };
      const reported = await timed("report", () => x.agent.post(`/api/agents/${x.agentId}/services/report`, { services: [reportedService("fuzz-schema-svc", { actions: [action] })] }));
      if (reported.status !== 200) {
        stats.refused++;
        if (reported.status !== 422 && reported.status !== 413) throw new Error(`report: unexpected ${reported.status} ${reported.text.slice(0, 200)}`);
        return;
      }
      stats.accepted++;
      for (const v of inputs) {
        const payload = { v, n: { n: { n: v } }, [v.slice(0, 200)]: v, list: [v, v], link: v };
        const res = await timed("execute", () => x.operator.post(`/api/admin/capsule-services/${x.serviceId}/actions/hostile`, { payload }));
        stats.executed.set(res.status, (stats.executed.get(res.status) ?? 0) + 1);
      }
    }),
    { numRuns: 120, seed, endOnFailure: true },
  );
  t.notOk(result.failed, `no failing schema ${result.failed ? `${String((result.errorInstance as Error)?.message).slice(0, 500)} (seed ${result.seed}, path ${result.counterexamplePath})` : ""}`);
  t.ok(stats.refused > 0 && stats.accepted > 0, `both refused (${stats.refused}) and accepted (${stats.accepted}) schemas were tried`);
  t.comment(`schema fuzz: executes by status ${[...stats.executed].map(([k, v]) => `${k}:${v}`).join(" ")}; slowest request ${stats.slowestMs.toFixed(0)} ms`);
  const errors = s.logs.filter((l) => JSON.parse(l).level === "error");
  t.same(errors.map((l) => l.slice(0, 1500)), [], "nothing logged at error level");
});
