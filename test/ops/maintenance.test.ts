import t from "tap";
import { manualClock } from "../commandKit.js";
import { registerTestAgent } from "../fixtures.js";
import { sleep, startTestServer, type TestServer } from "../helpers.js";

// Short thresholds: an agent is offline after 10 s of silence, health is stale after 5 s. The clock is
// moved by hand, so nothing sleeps; the timer is off so only the runs this test asks for happen.
const SHORT = {
  CAPSTAN_HEARTBEAT_INTERVAL_SECONDS: "2",
  CAPSTAN_AGENT_OFFLINE_THRESHOLD_SECONDS: "10",
  CAPSTAN_HEALTH_STALE_THRESHOLD_SECONDS: "5",
  CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "0",
};

const auditCount = async (s: TestServer, action: string): Promise<number> =>
  (await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM audit_events WHERE action = ?`, [action]))!.n;

/** Waits for the run every server makes at start, so it cannot interleave with the test's own. */
async function startRunDone(s: TestServer): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await s.db.get(`SELECT 1 FROM settings WHERE key = 'maintenance.lastRun'`)) return;
    await sleep(20);
  }
  throw new Error("the start-up maintenance run did not record itself");
}

t.test("a service walks HEALTHY -> STALE -> OFFLINE as its agent stops, and back when it resumes", async (t) => {
  const clock = manualClock();
  const s = await startTestServer(t, { env: SHORT, now: clock.now });
  await startRunDone(s);
  const { agentId, serviceId, agent, operator } = await registerTestAgent(s);
  const beat = () => agent.post(`/api/agents/${agentId}/heartbeat`, { health: { status: "UP" } });
  t.equal((await beat()).status, 200);

  const idsWith = async (status: string): Promise<string[]> => {
    const res = await operator.get(`/api/admin/capsule-services?status=${status}`);
    t.equal(res.status, 200, `list ?status=${status}`);
    return res.body.data.map((x: { id: string }) => x.id);
  };
  const service = async () => (await operator.get(`/api/admin/capsule-services/${serviceId}`)).body.data;
  const runNow = async () => {
    const res = await operator.post("/api/admin/maintenance/run", {});
    t.equal(res.status, 200, "maintenance run accepted");
    return res.body.data;
  };

  t.ok((await idsWith("HEALTHY")).includes(serviceId), "HEALTHY while the agent beats");
  t.equal((await service()).status, "HEALTHY");

  // the agent stops: after 6 s its last health report is stale
  clock.advance(6);
  t.ok((await idsWith("STALE")).includes(serviceId), "STALE by effective status before any sweep");
  t.notOk((await idsWith("HEALTHY")).includes(serviceId), "no longer listed as HEALTHY");
  const first = await runNow();
  t.equal(first.changes.servicesStale, 1, "the sweep stored STALE");
  t.equal(first.changes.agentsOffline, 0, "the agent is not offline yet");
  t.equal((await service()).storedStatus, "STALE");
  t.equal(await auditCount(s, "system.service.stale"), 1);

  // 11 s of silence: past the offline threshold; the sweep marks the agent and the service follows
  clock.advance(5);
  t.ok((await idsWith("STALE")).includes(serviceId), "STALE until the sweep marks the agent");
  const second = await runNow();
  t.equal(second.changes.agentsOffline, 1, "the sweep marked the agent OFFLINE");
  t.ok(second.changes.servicesStale >= 1, "and brought the service's stored status along");
  t.ok((await idsWith("OFFLINE")).includes(serviceId), "listed as OFFLINE");
  const off = await service();
  t.equal(off.status, "OFFLINE");
  t.equal(off.storedStatus, "OFFLINE");
  t.match(off.statusReason, /offline/i, "with a reason");
  const agentRes = await operator.get(`/api/admin/agents?status=OFFLINE`);
  t.ok(agentRes.body.data.some((a: { id: string }) => a.id === agentId), "agent listed as OFFLINE");
  t.equal(await auditCount(s, "system.agent.offline"), 1);

  // idempotent: nothing left to change, and no audit row for a run that changed nothing
  const runsBefore = await auditCount(s, "maintenance.run");
  const idle = await runNow();
  t.same(Object.values(idle.changes).filter((n) => n !== 0), [], "a second run changes nothing");
  t.equal(await auditCount(s, "maintenance.run"), runsBefore, "no maintenance.run audit for an idle run");

  // the agent resumes
  t.equal((await beat()).status, 200);
  t.ok((await idsWith("HEALTHY")).includes(serviceId), "HEALTHY again as soon as it beats");
  t.notOk((await idsWith("OFFLINE")).includes(serviceId));
  await runNow();
  t.equal((await service()).storedStatus, "HEALTHY", "stored status follows back");
});

t.test("retention, command-log pruning, expired sessions; batch-bounded and idempotent", async (t) => {
  const clock = manualClock();
  const s = await startTestServer(t, { env: { ...SHORT, CAPSTAN_AUDIT_RETENTION_DAYS: "30" }, now: clock.now });
  await startRunDone(s);
  const { agentId, serviceId, operator } = await registerTestAgent(s);
  const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
  const recent = new Date(Date.now() - 10 * 86_400_000).toISOString();

  // 1,203 old audit events: more than two batches of 500
  const insertAudit = (id: string, at: string, action: string) =>
    s.db.run(`INSERT INTO audit_events (id, created_at, actor_type, action, result) VALUES (?, ?, 'SYSTEM', ?, 'SUCCESS')`, [id, at, action]);
  await s.db.transaction(async () => {
    for (let i = 0; i < 1203; i++) await insertAudit(`aud_OLD${String(i).padStart(23, "0")}`, old, "test.old");
    await insertAudit("aud_RECENT00000000000000000000", recent, "test.recent");
  });
  // an old finished command with logs, and a recent one whose logs stay
  for (const [id, at] of [["cmd_OLD00000000000000000000000", old], ["cmd_RECENT0000000000000000000", recent]] as const) {
    await s.db.run(`INSERT INTO commands (id, agent_id, service_id, type, action_name, status, created_at, completed_at, expires_at)
                    VALUES (?, ?, ?, 'ACTION_EXECUTE', 'echo', 'SUCCEEDED', ?, ?, ?)`, [id, agentId, serviceId, at, at, at]);
    for (let i = 0; i < 3; i++) await s.db.run(`INSERT INTO command_logs (command_id, at, level, message) VALUES (?, ?, 'info', 'line')`, [id, at]);
  }
  // an expired session (logged in long ago)
  await s.loginAs("viewer");
  await s.db.run(`UPDATE sessions SET expires_at = ? WHERE user_id = (SELECT id FROM users WHERE username = 'viewer-user')`, [old]);

  const res = await operator.post("/api/admin/maintenance/run", {});
  t.equal(res.status, 200);
  const r = res.body.data;
  t.equal(r.trigger, "manual");
  t.equal(r.complete, true);
  t.same(r.errors, []);
  t.equal(r.changes.auditEventsDeleted, 1203, "every old audit event, across batches");
  t.equal(r.changes.commandLogsDeleted, 3, "only the old command's logs");
  t.equal(r.changes.sessionsDeleted, 1, "the expired session");
  const count = async (q: string) => (await s.db.get<{ n: number }>(q))!.n;
  t.equal(await count(`SELECT COUNT(*) AS n FROM audit_events WHERE action = 'test.old'`), 0);
  t.equal(await count(`SELECT COUNT(*) AS n FROM audit_events WHERE id = 'aud_RECENT00000000000000000000'`), 1, "recent events kept");
  t.equal(await count(`SELECT COUNT(*) AS n FROM command_logs WHERE command_id = 'cmd_RECENT0000000000000000000'`), 3, "recent logs kept");
  t.equal(await count(`SELECT COUNT(*) AS n FROM commands`), 2, "commands themselves are kept");

  const triggered = await s.db.all<{ actor_type: string; actor_id: string }>(`SELECT actor_type, actor_id FROM audit_events WHERE action = 'maintenance.triggered'`);
  t.equal(triggered.length, 1, "manual run audited as maintenance.triggered");
  t.equal(triggered[0]!.actor_type, "USER");
  t.equal(triggered[0]!.actor_id, operator.userId);
  const run = (await s.db.get<{ actor_type: string; metadata_json: string }>(`SELECT actor_type, metadata_json FROM audit_events WHERE action = 'maintenance.run' ORDER BY id DESC`))!;
  t.equal(run.actor_type, "SYSTEM");
  t.equal(JSON.parse(run.metadata_json).changes.auditEventsDeleted, 1203);

  const again = (await operator.post("/api/admin/maintenance/run", {})).body.data;
  t.same(Object.values(again.changes).filter((n) => n !== 0), [], "idempotent: the second run finds nothing");

  const diag = await operator.get("/api/admin/diagnostics");
  t.equal(diag.body.data.maintenance.lastRun.trigger, "manual", "diagnostics show the last run");
});

t.test("retention 0 keeps audit events forever", async (t) => {
  const s = await startTestServer(t, { env: { ...SHORT, CAPSTAN_AUDIT_RETENTION_DAYS: "0" } });
  await startRunDone(s);
  await s.db.run(`INSERT INTO audit_events (id, created_at, actor_type, action, result) VALUES ('aud_ANCIENT000000000000000000', '2000-01-01T00:00:00.000Z', 'SYSTEM', 'test.old', 'SUCCESS')`);
  const operator = await s.loginAs("operator");
  const r = (await operator.post("/api/admin/maintenance/run", {})).body.data;
  t.equal(r.changes.auditEventsDeleted, 0);
  t.ok(await s.db.get(`SELECT 1 FROM audit_events WHERE id = 'aud_ANCIENT000000000000000000'`));
});

t.test("maintenance/run refusals", async (t) => {
  const s = await startTestServer(t, { env: SHORT });
  t.equal((await s.anon.post("/api/admin/maintenance/run", {})).status, 401);
  const viewer = await s.loginAs("viewer");
  const denied = await viewer.post("/api/admin/maintenance/run", {});
  t.equal(denied.status, 403);
  t.equal(denied.body.error.code, "FORBIDDEN");
  const operator = await s.loginAs("operator");
  const bad = await operator.post("/api/admin/maintenance/run", { dryRun: true });
  t.equal(bad.status, 422, "unknown body fields are refused");
  t.equal(bad.body.error.code, "VALIDATION_FAILED");
  const noCsrf = s.clientWith({ cookie: operator.cookie! });
  t.equal((await noCsrf.post("/api/admin/maintenance/run", {})).status, 403, "CSRF required for sessions");
});

t.test("the scheduler runs at start and then on its timer", async (t) => {
  const s = await startTestServer(t, { env: { ...SHORT, CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "1" } });
  const lastRun = async () => {
    const row = await s.db.get<{ value: string }>(`SELECT value FROM settings WHERE key = 'maintenance.lastRun'`);
    return row && (JSON.parse(row.value) as { trigger: string; finishedAt: string });
  };
  await startRunDone(s);
  const first = (await lastRun())!;
  let timed: { trigger: string } | undefined;
  for (let i = 0; i < 60 && timed?.trigger !== "timer"; i++) {
    await sleep(50);
    timed = await lastRun();
  }
  t.ok(["start", "timer"].includes(first.trigger), "ran at start");
  t.equal(timed?.trigger, "timer", "ran again on the timer");
  await s.close();
  await sleep(1300); // longer than the interval: a timer left running would now hit the closed database
  t.notOk(s.logs.some((l) => l.includes("maintenance")  && l.includes('"level":"error"')), "no run after close");
});

t.test("a sweep counts contacts still buffered in memory (the runner flushes before every task)", async (t) => {
  const clock = manualClock();
  const s = await startTestServer(t, { env: SHORT, now: clock.now });
  await startRunDone(s);
  const { agentId, agent } = await registerTestAgent(s);
  t.equal((await agent.post(`/api/agents/${agentId}/heartbeat`, {})).status, 200);
  clock.advance(8);
  t.equal((await agent.post(`/api/agents/${agentId}/heartbeat`, {})).status, 200);
  t.ok(s.app.runtime.contacts.has(agentId), "the steady-state contact is buffered, not written");
  clock.advance(4); // 12 s since the last written contact, 4 s since the buffered one
  const { runMaintenance } = await import("../../src/domain/maintenance.js");
  const run = await runMaintenance(s.app, "manual"); // no admin request in between to flush
  t.equal(run.changes.agentsOffline, 0, "the agent is not judged silent on a stale stored time");
  t.equal(s.app.runtime.contacts.size, 0, "flushed");
});
