import t from "tap";
import { loadConfig } from "../../src/config.js";
import type { App } from "../../src/context.js";
import { insertAgent, type AgentRow } from "../../src/db/agents.js";
import type { Db } from "../../src/db/open.js";
import { openTestDb, UNIQUE_VIOLATION } from "../testDb.js";
import { countServicesByStatus, getService, getServiceByCode, insertService, listDriftedServices, listServices, listServicesOfAgent, refreshServiceHealth, releaseService, setServiceHealth, getServiceHealthFacts, setServiceStoredStatus, updateService, type ServiceWrite } from "../../src/db/services.js";
import { getActionDefinition, getHealthReport, listActionDefinitions, listConfigItems, refreshHealthReports, replaceActionDefinitions, replaceConfigItems, upsertHealthReport, type ActionRow, type ConfigRow } from "../../src/db/serviceParts.js";
import { cutoffs, effectiveServiceStatus } from "../../src/domain/status.js";
import { newId } from "../../src/ids.js";

const T0 = Date.parse("2026-05-01T12:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const appAt = (s: number) => ({ now: () => new Date(T0 + s * 1000), config: loadConfig({}) }) as unknown as App;

async function addAgent(db: Db, code: string, over: Partial<AgentRow> = {}): Promise<AgentRow> {
  const a: AgentRow = {
    id: newId("agt"), code, name: null, mode: "embedded", runtime: null, version: null, hostname: null, os: null, arch: null,
    status: "ONLINE", lastHeartbeatAt: at(195), registeredAt: at(0), createdAt: at(0), updatedAt: at(0), ...over,
  };
  await insertAgent(db, a);
  return a;
}
const write = (agentId: string, code: string, over: Partial<ServiceWrite> = {}): ServiceWrite => ({
  id: newId("svc"), agentId, code, name: code.toUpperCase(), description: null, version: "1.0.0", runtime: "nodejs",
  manifestJson: JSON.stringify({ code, capabilities: ["demo.echo"] }), nowIso: at(0), packageName: null, packageVersion: null, packageDigest: null, ...over,
});
const action = (serviceId: string, name: string, over: Partial<ActionRow> = {}): ActionRow => ({
  id: newId("act"), serviceId, name, label: name, description: null, dangerLevel: "LOW", requiresConfirmation: false, requiresApproval: false, enabled: true,
  inputSchema: null, timeoutSeconds: null, ...over,
});
const config = (serviceId: string, key: string, over: Partial<ConfigRow> = {}): ConfigRow => ({
  id: newId("cfg"), serviceId, key, label: null, type: "string", source: null, editable: false, sensitive: false,
  valuePreview: null, defaultValue: null, secretRef: null, ...over,
});

t.test("insert, update, get by id and code, release", async (t) => {
  const db = await openTestDb(t);
  const a = await addAgent(db, "a");
  const b = await addAgent(db, "b");
  const w = write(a.id, "svc-a");
  await insertService(db, w);
  t.match(await getService(db, w.id), { code: "svc-a", agentId: a.id, storedStatus: "UNKNOWN", healthStatus: "UNKNOWN", lastReportedAt: at(0), manifest: { code: "svc-a" } });
  t.equal((await getServiceByCode(db, "svc-a"))!.id, w.id);
  t.equal(await releaseService(db, w.id, at(1)), true);
  t.equal(await releaseService(db, w.id, at(2)), false, "already released");
  await updateService(db, { ...w, agentId: b.id, name: "Moved", nowIso: at(3) });
  t.match(await getService(db, w.id), { agentId: b.id, name: "Moved", releasedAt: null, lastReportedAt: at(3) });
  t.same((await listServicesOfAgent(db, b.id)).map((s) => s.id), [w.id]);
  await t.rejects(() => insertService(db, write(a.id, "svc-a")), { code: UNIQUE_VIOLATION });
});

t.test("actions and configs: replaced as a set, ids kept by name/key, order kept", async (t) => {
  const db = await openTestDb(t);
  const a = await addAgent(db, "a");
  const w = write(a.id, "s");
  await insertService(db, w);
  const first = [action(w.id, "b", { inputSchema: { type: "object" }, timeoutSeconds: 30 }), action(w.id, "a", { dangerLevel: "CRITICAL", requiresConfirmation: true })];
  await replaceActionDefinitions(db, w.id, first);
  t.same((await listActionDefinitions(db, w.id)).map((x) => x.name), ["b", "a"]);
  t.same(await getActionDefinition(db, w.id, "b"), first[0]);
  t.equal(await getActionDefinition(db, w.id, "zzz"), undefined);
  await replaceActionDefinitions(db, w.id, [action(w.id, "a", { label: "A!", enabled: false }), action(w.id, "c")]);
  const after = await listActionDefinitions(db, w.id);
  t.same(after.map((x) => x.name), ["a", "c"]);
  t.equal(after[0]!.id, first[1]!.id, "id kept");
  t.match(after[0], { label: "A!", enabled: false, dangerLevel: "LOW" });

  await replaceConfigItems(db, w.id, [config(w.id, "X", { valuePreview: "1", sensitive: false }), config(w.id, "Y", { sensitive: true, secretRef: "env://Y" })]);
  const cfgs = await listConfigItems(db, w.id);
  t.match(cfgs, [{ key: "X", valuePreview: "1" }, { key: "Y", sensitive: true, secretRef: "env://Y" }]);
  await replaceConfigItems(db, w.id, [config(w.id, "Y")]);
  t.same((await listConfigItems(db, w.id)).map((c) => [c.key, c.id]), [["Y", cfgs[1]!.id]]);
  await replaceConfigItems(db, w.id, []);
  t.same(await listConfigItems(db, w.id), []);
});

t.test("health: one row per service, denormalised on the service", async (t) => {
  const db = await openTestDb(t);
  const a = await addAgent(db, "a");
  const w = write(a.id, "s");
  await insertService(db, w);
  t.equal(await getHealthReport(db, w.id), undefined);
  await upsertHealthReport(db, { id: newId("hlr"), serviceId: w.id, agentId: a.id, status: "UP", message: "ok", details: { n: 1 }, reportedAt: at(1) });
  await upsertHealthReport(db, { id: newId("hlr"), serviceId: w.id, agentId: a.id, status: "DOWN", message: null, details: null, reportedAt: at(2) });
  t.match(await getHealthReport(db, w.id), { status: "DOWN", message: null, details: null, reportedAt: at(2) });
  t.equal((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM health_reports"))!.n, 1);
  await setServiceHealth(db, w.id, "DOWN", "fp-DOWN", "UNHEALTHY", at(2));
  t.match(await getService(db, w.id), { healthStatus: "DOWN", storedStatus: "UNHEALTHY", lastHealthAt: at(2) });
  t.same(await getServiceHealthFacts(db, w.id), { agentId: a.id, lastHealthAt: at(2), lastHealthFingerprint: "fp-DOWN" });

  // batched refreshes: only while the fingerprint still matches, never backwards
  const refresh = async (rows: [string, string, string][]) => {
    await refreshHealthReports(db, rows);
    return refreshServiceHealth(db, rows);
  };
  t.same(await refresh([[w.id, at(5), "fp-OTHER"]]), new Map(), "nothing moved, nothing returned");
  t.equal((await getService(db, w.id))!.lastHealthAt, at(2), "another health was stored since: no refresh");
  t.equal((await getHealthReport(db, w.id))!.reportedAt, at(2));
  t.same(await refresh([[w.id, at(6), "fp-DOWN"], ["svc_gone", at(6), "fp-DOWN"]]), new Map([[w.id, { agentId: a.id, lastHealthAt: at(6), lastHealthFingerprint: "fp-DOWN" }]]),
    "the facts as written, of the services moved");
  t.equal((await getService(db, w.id))!.lastHealthAt, at(6), "same fingerprint: the time moves");
  t.equal((await getHealthReport(db, w.id))!.reportedAt, at(6), "and the report's with it");
  await refresh([[w.id, at(4), "fp-DOWN"]]);
  t.equal((await getService(db, w.id))!.lastHealthAt, at(6), "never backwards");
  t.equal((await getHealthReport(db, w.id))!.reportedAt, at(6));
});

t.test("effective status: SQL CASE and TypeScript agree; drift and counts", async (t) => {
  const db = await openTestDb(t);
  // now = 200 s: agent offline cutoff 110 s, health stale cutoff 80 s
  const live = await addAgent(db, "live");
  const silent = await addAgent(db, "silent", { lastHeartbeatAt: at(100) });
  const off = await addAgent(db, "off", { status: "OFFLINE", lastHeartbeatAt: at(10) });
  const dis = await addAgent(db, "dis", { status: "DISABLED" });
  const cases: [string, string, (id: string) => void, string][] = [
    ["healthy", live.id, (id) => setServiceHealth(db, id, "UP", "fp-UP", "HEALTHY", at(190)), "HEALTHY"],
    ["degraded", live.id, (id) => setServiceHealth(db, id, "DEGRADED", "fp-DEGRADED", "UNHEALTHY", at(190)), "UNHEALTHY"],
    ["down", live.id, (id) => setServiceHealth(db, id, "DOWN", "fp-DOWN", "UNHEALTHY", at(190)), "UNHEALTHY"],
    ["unknown", live.id, () => undefined, "UNKNOWN"],
    ["stale-health", live.id, (id) => setServiceHealth(db, id, "UP", "fp-UP", "HEALTHY", at(50)), "STALE"],
    ["silent-agent", silent.id, (id) => setServiceHealth(db, id, "UP", "fp-UP", "HEALTHY", at(190)), "STALE"],
    ["offline-agent", off.id, () => undefined, "OFFLINE"],
    ["disabled-agent", dis.id, () => undefined, "OFFLINE"],
    ["released", live.id, (id) => releaseService(db, id, at(1)), "OFFLINE"],
  ];
  for (const [code, agentId, after] of cases) {
    const w = write(agentId, code);
    await insertService(db, w);
    after(w.id);
  }
  const app = appAt(200);
  const c = cutoffs(app);
  const agents = new Map([live, silent, off, dis].map((a) => [a.id, a]));
  const all = (await listServices(db, {}, c, [{ field: "code", desc: false }], 1, 100)).rows;
  for (const [code, , , expected] of cases) {
    const row = all.find((r) => r.code === code)!;
    t.equal(effectiveServiceStatus(app, row, await agents.get(row.agentId!)).status, expected, `${code} (TypeScript)`);
    const viaSql = (await listServices(db, { status: [expected] }, c, [{ field: "code", desc: false }], 1, 100)).rows.map((r) => r.code);
    t.ok(viaSql.includes(code), `${code} (SQL ${expected})`);
  }
  t.same(await countServicesByStatus(db, c), { HEALTHY: 1, UNHEALTHY: 2, UNKNOWN: 1, STALE: 2, OFFLINE: 3 });

  const drifted = await listDriftedServices(db, c, 100);
  t.same(drifted.map((d) => [d.code, d.storedStatus, d.effective]).sort(), [
    ["disabled-agent", "UNKNOWN", "OFFLINE"], ["offline-agent", "UNKNOWN", "OFFLINE"], ["released", "UNKNOWN", "OFFLINE"],
    ["silent-agent", "HEALTHY", "STALE"], ["stale-health", "HEALTHY", "STALE"],
  ]);
  const d0 = drifted[0]!;
  t.equal(await setServiceStoredStatus(db, d0.id, "WRONG", d0.effective, at(200)), false, "guarded by the value read");
  t.equal(await setServiceStoredStatus(db, d0.id, d0.storedStatus, d0.effective, at(200)), true);
  t.equal((await listDriftedServices(db, c, 100)).length, 4);
});

t.test("list filters: health, agent, search, capability, sort", async (t) => {
  const db = await openTestDb(t);
  const a = await addAgent(db, "a");
  const b = await addAgent(db, "b");
  await insertService(db, write(a.id, "one", { nowIso: at(1), manifestJson: JSON.stringify({ capabilities: ["llm.chat"] }) }));
  await insertService(db, write(b.id, "two", { nowIso: at(2) }));
  await insertService(db, write(b.id, "three_x", { nowIso: at(3) }));
  await setServiceHealth(db, (await getServiceByCode(db, "two"))!.id, "DOWN", "fp-DOWN", "UNHEALTHY", at(4));
  const c = cutoffs(appAt(10));
  const codes = async (f: object, sort = [{ field: "createdAt", desc: true }]) => (await listServices(db, f, c, sort, 1, 10)).rows.map((r) => r.code);
  t.same(await codes({}), ["three_x", "two", "one"]);
  t.same(await codes({}, [{ field: "code", desc: false }]), ["one", "three_x", "two"]);
  t.same(await codes({}, [{ field: "lastReportedAt", desc: false }]), ["one", "two", "three_x"]);
  t.same(await codes({ healthStatus: ["DOWN", "UP"] }), ["two"]);
  t.same(await codes({ agentId: [b.id] }), ["three_x", "two"]);
  t.same(await codes({ q: "_" }), ["three_x"]);
  t.same(await codes({ capability: "llm.chat" }), ["one"]);
  t.same(await codes({ capability: "demo.echo" }), ["three_x", "two"]);
  t.same(await codes({ capability: "demo" }), [], "exact capability names, not substrings");
  t.equal((await listServices(db, {}, c, [], 2, 2)).total, 3);
});
