// Replays what the upstream Opstage CE v0.4 console asks of the server, written down from the spec
// (shared/spec/upstream-v04.md sections 1 and 2), not from our routes: every request answers 2xx and
// carries the fields that console reads, with the values they mean. Runs on both engines; the one
// exception is the SQLite snapshot on PostgreSQL, which answers a clear 409 (asserted below).
import t, { type Test } from "tap";
import { reportedService } from "../fixtures.js";
import { busKit } from "../bus/_kit.js";
import type { ApiResponse, Client } from "../helpers.js";
import { onPostgres } from "../testDb.js";

t.setTimeout(180_000);

interface ConsoleRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** `{name}` placeholders are filled from the fixture ids */
  path: string;
  body?: unknown;
  /** what the console reads from the answer (checked by `check`) */
  reads: string;
  check: (t: Tap, data: any, ids: Ids) => Promise<void> | void;
}
type Tap = Test;
type Ids = Record<string, string>;

const num = (t: Tap, v: unknown, what: string): void => void t.equal(typeof v, "number", `${what} is a number`);

// The requests, in the order a user of the console makes them.
const REQUESTS: ConsoleRequest[] = [
  {
    method: "GET", path: "/api/admin/dashboard/summary", reads: "workspace{id,code,name,status,createdAt,updatedAt}, auditEventCount",
    check: (t, d, ids) => {
      t.same(Object.keys(d.workspace).sort(), ["code", "createdAt", "id", "name", "status", "updatedAt"]);
      t.equal(d.workspace.id, "wks_default");
      t.equal(d.workspace.code, "default");
      t.equal(d.workspace.name, "Default Workspace", "the dashboard's title (the console goes blank without it)");
      t.ok(!Number.isNaN(Date.parse(d.workspace.createdAt)), "workspace.createdAt is a date");
      t.equal(d.auditEventCount, Number(ids.auditCount), "auditEventCount is the number of audit events");
    },
  },
  {
    method: "GET", path: "/api/admin/agents", reads: "rows[].serviceCount",
    check: (t, rows, ids) => {
      const two = rows.find((a: { id: string }) => a.id === ids.twoServiceAgent);
      t.equal(two?.serviceCount, 2, "an agent with two services");
      for (const a of rows) num(t, a.serviceCount, `serviceCount of ${a.code}`);
    },
  },
  {
    method: "GET", path: "/api/admin/agents/{twoServiceAgent}", reads: "serviceCount, services[] (services-list rows with effective status)",
    check: (t, d) => {
      t.equal(d.serviceCount, 2);
      t.same(d.services.map((s: { code: string }) => s.code).sort(), ["shop", "shop-extra"]);
      for (const s of d.services) {
        t.match(s, { id: /^svc_/, agentId: d.id, status: /^(UNKNOWN|HEALTHY|UNHEALTHY|STALE|OFFLINE)$/, statusReason: String, healthStatus: String });
      }
    },
  },
  {
    method: "GET", path: "/api/admin/capsule-services/{configService}", reads: "configs[].configKey",
    check: (t, d) => {
      t.ok(d.configs.length > 0, "the service has configs");
      for (const c of d.configs) t.equal(c.configKey, c.key, `configKey = key (${c.key})`);
    },
  },
  {
    method: "GET", path: "/api/admin/commands", reads: "rows[].durationMs",
    check: (t, rows, ids) => {
      const done = rows.find((c: { id: string }) => c.id === ids.doneCommand);
      t.equal(done?.durationMs, Date.parse(done?.completedAt) - Date.parse(done?.startedAt), "durationMs = completedAt - startedAt");
      for (const c of rows) t.ok(c.durationMs === null || typeof c.durationMs === "number", "durationMs is a number or null");
    },
  },
  {
    method: "GET", path: "/api/admin/commands/{doneCommand}", reads: "durationMs",
    check: (t, d) => {
      num(t, d.durationMs, "durationMs");
      t.equal(d.durationMs, Date.parse(d.completedAt) - Date.parse(d.startedAt));
    },
  },
  {
    method: "DELETE", path: "/api/admin/registration-tokens/{revokedToken}", reads: "the deleted record",
    check: (t, d, ids) => {
      t.match(d, { id: ids.revokedToken, status: "REVOKED" });
    },
  },
  {
    method: "GET", path: "/api/admin/settings/maintenance", reads: "agentOfflineThresholdSeconds, auditRetentionDays, maintenanceIntervalSeconds",
    check: (t, d) => {
      t.same(d, { agentOfflineThresholdSeconds: 90, auditRetentionDays: 90, maintenanceIntervalSeconds: 30 }, "the effective (default) values");
    },
  },
  {
    method: "PATCH", path: "/api/admin/settings/maintenance", body: { auditRetentionDays: 30, maintenanceIntervalSeconds: 60 }, reads: "the merged settings",
    check: (t, d) => {
      t.same(d, { agentOfflineThresholdSeconds: 90, auditRetentionDays: 30, maintenanceIntervalSeconds: 60 });
    },
  },
  {
    method: "GET", path: "/api/admin/diagnostics/runtime",
    reads: "version, edition, node, platform, arch, uptimeSeconds, pid, memory, config{host, port, databaseUrl, backupDir, maintenance, capsuleBusEnabled}",
    check: (t, d) => {
      t.match(d, { version: String, edition: "ce", node: process.version, platform: process.platform, arch: process.arch, pid: process.pid, memory: { rss: Number } });
      num(t, d.uptimeSeconds, "uptimeSeconds");
      t.match(d.config, { host: String, port: Number, databaseUrl: String, backupDir: String, capsuleBusEnabled: true });
      t.same(d.config.maintenance, { agentOfflineThresholdSeconds: 90, auditRetentionDays: 30, maintenanceIntervalSeconds: 60 }, "after the PATCH");
      t.match(d.config.databaseUrl, onPostgres ? /^postgres(ql)?:\/\// : /^sqlite:/);
    },
  },
  {
    method: "POST", path: "/api/admin/bus/routes", reads: "the v0.4 route shape",
    body: {
      name: "v0.4 echo", description: "made by the upstream console", status: "ENABLED",
      match: { eventType: "shop.item.created", sourceServiceCode: "shop" },
      target: { serviceCode: "mailer", actionName: "echo" },
      inputMapping: { message: "{{event.data.name}}" }, metadata: {},
    },
    check: (t, d, ids) => {
      ids.route = d.id;
      t.match(d, {
        id: /^brr_/, name: "v0.4 echo", status: "ENABLED", experimental: "v0.4-experimental",
        match: { eventType: "shop.item.created", sourceServiceCode: "shop" },
        target: { serviceCode: "mailer", actionName: "echo" }, inputMapping: { message: "{{event.data.name}}" },
        // ours beside theirs
        trigger: { eventType: "shop.item.created", sourceServiceCode: "shop" },
        action: { targetServiceCode: "mailer", actionName: "echo", payloadTemplate: { message: "{{event.data.name}}" } },
      });
      t.type(d.metadata, "object");
    },
  },
  {
    method: "PUT", path: "/api/admin/bus/routes/{route}", reads: "the replaced route",
    body: {
      name: "v0.4 echo, any source", status: "ENABLED", match: { eventType: "shop.item.created", sourceServiceCode: null },
      target: { serviceCode: "mailer", actionName: "echo" }, inputMapping: { message: "{{event.eventType}}" }, metadata: {},
    },
    check: (t, d) => {
      t.match(d, { name: "v0.4 echo, any source", status: "ENABLED", match: { eventType: "shop.item.created", sourceServiceCode: null }, inputMapping: { message: "{{event.eventType}}" } });
      t.equal(d.description, null, "a full replacement clears what it leaves out");
    },
  },
  {
    method: "GET", path: "/api/admin/bus/routes", reads: "rows in the v0.4 shape",
    check: (t, rows) => {
      t.equal(rows.length, 1);
      t.match(rows[0], { match: { eventType: "shop.item.created" }, target: { serviceCode: "mailer", actionName: "echo" }, inputMapping: Object, experimental: "v0.4-experimental" });
    },
  },
  {
    method: "GET", path: "/api/admin/bus/events",
    reads: "rows[].sourceServiceId, sourceServiceCode, payload, metadata, correlationId, causationId, occurredAt, acceptedAt, routeCount, experimental",
    check: (t, rows, ids) => {
      const e = rows.find((r: { id: string }) => r.id === ids.event);
      t.match(e, {
        sourceServiceId: ids.sourceService, sourceServiceCode: "shop", payload: { name: "lamp" }, metadata: { correlationId: "corr-1" },
        correlationId: "corr-1", causationId: null, occurredAt: String, acceptedAt: String, routeCount: 1, experimental: "v0.4-experimental",
      });
    },
  },
  {
    method: "GET", path: "/api/admin/bus/audit", reads: "audit events whose action starts with bus., paginated",
    check: (t, rows) => {
      t.ok(rows.length >= 3, "route created, updated, event received...");
      t.same(rows.filter((r: { action: string }) => !r.action.startsWith("bus.")), [], "nothing but bus.*");
      t.ok(rows.some((r: { action: string }) => r.action === "bus.route.created"));
    },
  },
  {
    method: "GET", path: "/api/admin/auth/csrf", reads: "csrfToken, expiresAt",
    check: (t, d) => {
      t.type(d.csrfToken, "string");
      t.ok(Date.parse(d.expiresAt) > Date.now(), "expiresAt is the session's expiry, in the future");
    },
  },
];

t.test("every request of the upstream console answers 2xx with the fields it reads", async (t) => {
  const k = await busKit(t);
  const { s } = k;
  const owner = await s.loginAs("owner");
  const ids: Ids = {};

  // fixtures: an agent with two services (one with configs), a finished command, a revoked token, a bus event
  const src = (await s.db.get<{ id: string; agent_id: string }>(`SELECT id, agent_id FROM capsule_services WHERE code = 'shop'`))!;
  ids.twoServiceAgent = src.agent_id;
  ids.sourceService = src.id;
  const report = await k.source.agent.post(`/api/agents/${k.source.agentId}/services/report`, {
    services: [reportedService("shop"), reportedService("shop-extra", { configs: [{ key: "LOG_LEVEL", label: "Log level", type: "string", valuePreview: "info" }] })],
  });
  t.equal(report.status, 200, report.text);
  ids.configService = (await s.db.get<{ id: string }>(`SELECT id FROM capsule_services WHERE code = 'shop-extra'`))!.id;
  const cmd = await k.operator.post(`/api/admin/capsule-services/${k.target.serviceId}/actions/echo`, { payload: { message: "hi" } });
  t.equal(cmd.status, 200, cmd.text);
  ids.doneCommand = cmd.body.data.id;
  await k.target.agent.get(`/api/agents/${k.target.agentId}/commands`);
  t.equal((await k.target.agent.post(`/api/agents/${k.target.agentId}/commands/${ids.doneCommand}/result`, { success: true, message: "ok" })).status, 200);
  const tok = await k.operator.post("/api/admin/registration-tokens", { name: "old" });
  ids.revokedToken = tok.body.data.id;
  t.equal((await k.operator.post(`/api/admin/registration-tokens/${ids.revokedToken}/revoke`)).status, 200);

  let console: Client = owner;
  for (const r of REQUESTS) {
    if (r.path === "/api/admin/bus/events") {
      // an event to list, published after the route exists so it matches once
      const pub = await k.publish({ eventType: "shop.item.created", serviceCode: "shop", data: { name: "lamp" }, metadata: { correlationId: "corr-1" } });
      t.equal(pub.status, 200, pub.text);
      ids.event = pub.body.data.eventId;
    }
    if (r.path === "/api/admin/dashboard/summary") {
      ids.auditCount = String((await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM audit_events`))!.n);
    }
    const path = r.path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? `missing-${name}`);
    const res: ApiResponse = await console.req(r.method, path, r.body);
    await t.test(`${r.method} ${r.path}: ${r.reads}`, async (t) => {
      t.ok(res.status >= 200 && res.status < 300, `2xx (got ${res.status} ${res.text.slice(0, 200)})`);
      t.equal(res.body.success, true);
      await r.check(t, res.body.data, ids);
    });
    // the console keeps the fresh token it asked for
    if (r.path === "/api/admin/auth/csrf") console = s.clientWith({ cookie: owner.cookie!, csrf: res.body.data.csrfToken });
  }
  // after a CSRF refresh the console retries its write with the new token
  const retried = await console.req("PATCH", "/api/admin/settings/maintenance", { maintenanceIntervalSeconds: 30 });
  t.equal(retried.status, 200, "a write with the refreshed CSRF token goes through");
  t.equal((await owner.req("PATCH", "/api/admin/settings/maintenance", { maintenanceIntervalSeconds: 30 })).body.error?.code, "CSRF_INVALID", "the old token no longer does");

  // the console's backup button (owner + CSRF)
  const backup = await console.req("POST", "/api/admin/backup/sqlite", {});
  if (onPostgres) {
    t.equal(backup.status, 409, "PostgreSQL: no SQLite snapshot");
    t.equal(backup.body.error.code, "BACKUP_NOT_AVAILABLE");
    t.match(backup.body.error.message, /pg_dump/, "the error says to use pg_dump");
  } else {
    t.equal(backup.status, 200, backup.text.slice(0, 200));
    t.equal(backup.headers.get("content-type"), "application/octet-stream");
    t.match(backup.headers.get("content-disposition"), /^attachment; filename="capstan-.*\.db"$/);
    t.equal(backup.text.slice(0, 15), "SQLite format 3", "the body is a SQLite database");
  }
});

t.test("with the bus off, the console recognises the answer as CAPSULE_BUS_DISABLED", async (t) => {
  const { startTestServer } = await import("../helpers.js");
  const s = await startTestServer(t);
  const viewer = await s.loginAs("viewer");
  for (const path of ["/api/admin/bus/routes", "/api/admin/bus/events", "/api/admin/bus/audit"]) {
    const res = await viewer.get(path);
    t.equal(res.status, 503, path);
    t.equal(res.body.error.code, "CAPSULE_BUS_DISABLED", `${path} code`);
  }
});
