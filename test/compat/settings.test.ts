// GET|PATCH /api/admin/settings/maintenance (Opstage v0.4): validated, owner only, CSRF for sessions,
// persisted, audited, applied at once (the maintenance timer is rescheduled live).
import t from "tap";
import { loadMaintenanceSettings } from "../../src/domain/maintenanceSettings.js";
import { sleep, startTestServer } from "../helpers.js";
import { postgresOnly } from "../testDb.js";

t.setTimeout(120_000);
const PATH = "/api/admin/settings/maintenance";

t.test("bad input is a 422 envelope; roles and CSRF are enforced", async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  for (const body of [{}, { auditRetentionDays: -1 }, { maintenanceIntervalSeconds: 1.5 }, { agentOfflineThresholdSeconds: 0 },
    { auditRetentionDays: "30" }, { somethingElse: 1 }, [1], { agentOfflineThresholdSeconds: 59 }]) {
    const res = await owner.req("PATCH", PATH, body);
    t.equal(res.status, 422, `${JSON.stringify(body)} -> 422`);
    t.equal(res.body.error.code, "VALIDATION_FAILED");
  }
  // the offline threshold must stay at least 2 x the heartbeat interval (30 s by default)
  t.match((await owner.req("PATCH", PATH, { agentOfflineThresholdSeconds: 59 })).body.error.message, /2 x the heartbeat interval \(60 s\)/);
  t.equal((await owner.req("PATCH", PATH, { agentOfflineThresholdSeconds: 60 })).status, 200);

  const operator = await s.loginAs("operator");
  t.equal((await operator.req("PATCH", PATH, { auditRetentionDays: 1 })).status, 403, "operators cannot change them");
  t.equal((await (await s.loginAs("viewer")).get(PATH)).status, 200, "any session reads them");
  const noCsrf = s.clientWith({ cookie: owner.cookie! });
  const refused = await noCsrf.req("PATCH", PATH, { auditRetentionDays: 1 });
  t.equal(refused.status, 403);
  t.equal(refused.body.error.code, "CSRF_INVALID", "a cookie session needs the CSRF token");
  t.equal((await s.anon.get(PATH)).status, 401);
  t.equal((await owner.get(PATH)).body.data.auditRetentionDays, 90, "nothing refused was applied");
});

t.test("a change is persisted, audited, applied, and reschedules the timer", async (t) => {
  // interval 0: maintenance runs once at start and never again, until the owner says otherwise
  const s = await startTestServer(t, { env: { CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "0" } });
  const owner = await s.loginAs("owner");
  const started = Date.now() + 20_000;
  while (s.app.runtime.counters.maintenanceRuns < 1 && Date.now() < started) await sleep(50);
  await sleep(1500); // a second run would have come by now if the timer were set
  const runsBefore = s.app.runtime.counters.maintenanceRuns;
  t.equal(runsBefore, 1, "the start run only");

  const res = await owner.req("PATCH", PATH, { maintenanceIntervalSeconds: 1, auditRetentionDays: 7 });
  t.equal(res.status, 200, res.text);
  t.same(res.body.data, { agentOfflineThresholdSeconds: 90, auditRetentionDays: 7, maintenanceIntervalSeconds: 1 });
  t.equal(s.app.config.auditRetentionDays, 7, "applied to the running configuration");
  const deadline = Date.now() + 20_000;
  while (s.app.runtime.counters.maintenanceRuns < runsBefore + 2 && Date.now() < deadline) await sleep(100);
  t.ok(s.app.runtime.counters.maintenanceRuns >= runsBefore + 2, "the timer now runs every second, without a restart");

  const audit = await s.db.all<{ actor_id: string; metadata_json: string }>(`SELECT actor_id, metadata_json FROM audit_events WHERE action = 'settings.maintenance.updated'`);
  t.equal(audit.length, 1);
  t.equal(audit[0]!.actor_id, owner.userId);
  t.same(JSON.parse(audit[0]!.metadata_json).changes, { auditRetentionDays: { from: 90, to: 7 }, maintenanceIntervalSeconds: { from: 0, to: 1 } });

  // persisted: a node that starts (or reloads) with the environment's values picks the stored ones up
  s.app.config.auditRetentionDays = 90;
  s.app.config.maintenanceIntervalSeconds = 0;
  t.equal(await loadMaintenanceSettings(s.app), true, "the interval changed on reload");
  t.equal(s.app.config.auditRetentionDays, 7);
  t.equal(s.app.config.maintenanceIntervalSeconds, 1);
  const stored = await s.db.get<{ value: string }>(`SELECT value FROM settings WHERE key = 'maintenance.settings'`);
  t.same(JSON.parse(stored!.value), { maintenanceIntervalSeconds: 1, auditRetentionDays: 7 });

  // back to 0: no more scheduled runs
  t.equal((await owner.req("PATCH", PATH, { maintenanceIntervalSeconds: 0 })).status, 200);
  await sleep(1500); // a run already in progress may still finish
  const settled = s.app.runtime.counters.maintenanceRuns;
  await sleep(2500);
  t.equal(s.app.runtime.counters.maintenanceRuns, settled, "interval 0 stops the timer");
});

t.test("runtime diagnostics never show a database password", async (t) => {
  const s = await startTestServer(t);
  const operator = await s.loginAs("operator");
  const real = s.app.config.databaseUrl;
  // what the handler would show for a URL with a password (restored before the database is used again)
  s.app.config.databaseUrl = "postgres://capstan:hunter2-secret@db.example:5432/capstan";
  const res = await operator.get("/api/admin/diagnostics/runtime");
  s.app.config.databaseUrl = real;
  t.equal(res.status, 200);
  t.notMatch(res.text, /hunter2-secret/, "the password never leaves");
  t.equal(res.body.data.config.databaseUrl, "postgres://capstan:***@db.example:5432/capstan");
  t.equal((await (await s.loginAs("viewer")).get("/api/admin/diagnostics/runtime")).status, 403, "operator and up");
});

t.test("another node on the same PostgreSQL database picks a change up before its next sweep", postgresOnly("several nodes share one database"), async (t) => {
  const a = await startTestServer(t, { env: { CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "1" } });
  const b = await startTestServer(t, { sameDatabaseAs: a, env: { CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "1" } });
  const owner = await a.loginAs("owner");
  t.equal((await owner.req("PATCH", PATH, { auditRetentionDays: 5 })).status, 200);
  t.equal(a.app.config.auditRetentionDays, 5, "at once on the node asked");
  const deadline = Date.now() + 20_000;
  while (b.app.config.auditRetentionDays !== 5 && Date.now() < deadline) await sleep(100);
  t.equal(b.app.config.auditRetentionDays, 5, "within about one interval on the other node");
});
