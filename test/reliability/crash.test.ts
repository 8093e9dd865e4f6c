// Crash durability: 20 times, the built server is killed with SIGKILL at a random moment while
// operators create commands and an agent claims them and reports results. After every restart the
// database is intact and nothing the server acknowledged is lost or contradicted.
import Database from "better-sqlite3";
import { join } from "node:path";
import t from "tap";
import { reportedService } from "../fixtures.js";
import { sleep } from "../helpers.js";
import { freePort, jsonClient, ownerApiToken, spawnServer, type ChildServer } from "./_kit.js";
import { sqliteOnly } from "../testDb.js";

const KILLS = 20;
const OPERATORS = 2;

/** Every way the database could contradict what clients were told; [] when it is consistent. */
function violations(file: string, acked: Set<string>, results: Map<string, boolean>): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const out: string[] = [];
    const integrity = (db.pragma("integrity_check") as { integrity_check: string }[]).map((r) => r.integrity_check).join("; ");
    if (integrity !== "ok") out.push(`integrity_check: ${integrity}`);
    const rows = db.prepare(`SELECT id, status, started_at FROM commands`).all() as { id: string; status: string; started_at: string | null }[];
    const status = new Map(rows.map((r) => [r.id, r]));
    for (const id of acked) if (!status.has(id)) out.push(`${id}: creation was acknowledged but the command is gone`);
    const resultRows = db.prepare(`SELECT command_id AS id, count(*) AS n, max(success) AS success FROM command_results GROUP BY command_id`).all() as { id: string; n: number; success: number }[];
    const resultOf = new Map(resultRows.map((r) => [r.id, r]));
    const audits = new Map<string, Map<string, number>>();
    for (const a of db.prepare(`SELECT target_id AS id, action, count(*) AS n FROM audit_events WHERE target_type = 'Command' GROUP BY target_id, action`).all() as { id: string; action: string; n: number }[]) {
      if (!audits.has(a.id)) audits.set(a.id, new Map());
      audits.get(a.id)!.set(a.action, a.n);
    }
    for (const c of rows) {
      const r = resultOf.get(c.id);
      const audit = (action: string) => audits.get(c.id)?.get(action) ?? 0;
      const terminal = c.status === "SUCCEEDED" || c.status === "FAILED" || c.status === "EXPIRED";
      if (terminal && r?.n !== 1) out.push(`${c.id}: ${c.status} with ${r?.n ?? 0} results`);
      if (!terminal && r) out.push(`${c.id}: ${c.status} but has a result`);
      if (c.status === "SUCCEEDED" && r && r.success !== 1) out.push(`${c.id}: SUCCEEDED with a failed result`);
      if (c.status === "FAILED" && r && r.success !== 0) out.push(`${c.id}: FAILED with a successful result`);
      if (audit("command.completed") + audit("command.failed") > 1) out.push(`${c.id}: audited as completed and failed`);
      if (audit("command.created") !== 1) out.push(`${c.id}: ${audit("command.created")} command.created events`);
      if (c.started_at && audit("command.dispatched") !== 1) out.push(`${c.id}: dispatched without exactly one command.dispatched`);
      if (c.status === "SUCCEEDED" && audit("command.completed") !== 1) out.push(`${c.id}: SUCCEEDED without command.completed`);
      if (c.status === "FAILED" && audit("command.failed") !== 1) out.push(`${c.id}: FAILED without command.failed`);
      if (c.status === "EXPIRED" && audit("system.command.expired") !== 1) out.push(`${c.id}: EXPIRED without system.command.expired`);
    }
    for (const [id, success] of results) {
      const c = status.get(id);
      const want = success ? "SUCCEEDED" : "FAILED";
      if (c?.status !== want) out.push(`${id}: result ${want} was acknowledged but the command is ${c?.status ?? "gone"}`);
    }
    return out;
  } finally {
    db.close();
  }
}

t.test(`${KILLS} kill -9 under load: nothing acknowledged is lost or contradicted`, sqliteOnly("reads the SQLite file left by kill -9 (PostgreSQL durability is the server's; kill -9 of a node is in the multi-node tests)"), async (t) => {
  t.setTimeout(240_000);
  const dataDir = join(t.testdir(), "data");
  const port = await freePort();
  const env = { CAPSTAN_LOG_LEVEL: "warn" };
  let server: ChildServer = await spawnServer({ dataDir, port, env });
  t.teardown(() => server.kill9());
  const api = jsonClient(server.url, { authorization: `Bearer ${await ownerApiToken(server.url)}` });
  const registrationToken = (await api("POST", "/api/admin/registration-tokens", { name: "crash" })).body.data.rawToken;
  const reg = await jsonClient(server.url)("POST", "/api/agents/register", {
    registrationToken, agent: { code: "crash-agent", mode: "embedded" },
    service: reportedService("crash-service", { actions: [{ name: "work", label: "Work", dangerLevel: "LOW" }] }),
  });
  t.equal(reg.status, 200, "agent registered");
  const { agentId, agentToken } = reg.body.data;
  const serviceId = reg.body.data.services[0].serviceId as string;
  const agent = jsonClient(server.url, { authorization: `Bearer ${agentToken}` });
  t.equal((await agent("POST", `/api/agents/${agentId}/heartbeat`, {})).status, 200);

  const acked = new Set<string>(); // creations the operator saw a 200 for
  const results = new Map<string, boolean>(); // results the agent saw a 200 for
  const outbox = new Map<string, boolean>(); // results claimed but not yet acknowledged: resent after a restart
  const figures = { created: 0, claimed: 0, reported: 0, killDelaysMs: [] as number[], restartMs: [] as number[] };

  for (let round = 1; round <= KILLS; round++) {
    let running = true;
    const swallow = async <T>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined); // the kill cuts requests
    const operator = async () => {
      while (running) {
        const res = await swallow(api("POST", `/api/admin/capsule-services/${serviceId}/actions/work`, { payload: { round } }));
        if (res?.status === 200) {
          acked.add(res.body.data.id);
          figures.created++;
        }
      }
    };
    const worker = async () => {
      while (running) {
        for (const [id, success] of [...outbox]) {
          const res = await swallow(agent("POST", `/api/agents/${agentId}/commands/${id}/result`, { success, ...(success ? {} : { error: { code: "WORK_FAILED", message: "odd" } }) }));
          if (res?.status === 200) {
            outbox.delete(id);
            results.set(id, success);
            figures.reported++;
          } else if (res && res.status !== 200) throw new Error(`result for ${id}: ${res.status} ${JSON.stringify(res.body)}`);
          if (!running) return;
        }
        const polled = await swallow(agent("GET", `/api/agents/${agentId}/commands?limit=5`));
        for (const c of polled?.status === 200 ? (polled.body.data as { id: string }[]) : []) {
          // the outcome is a function of the id, so a resend after a crash always carries the same one
          outbox.set(c.id, c.id.charCodeAt(c.id.length - 1) % 3 !== 0);
          figures.claimed++;
        }
      }
    };
    const load = [...Array.from({ length: OPERATORS }, operator), worker()];
    const delay = 100 + Math.floor(Math.random() * 1400);
    figures.killDelaysMs.push(delay);
    await sleep(delay);
    await server.kill9();
    running = false;
    await Promise.all(load);

    const restartedAt = Date.now();
    server = await spawnServer({ dataDir, port, env });
    figures.restartMs.push(Date.now() - restartedAt);
    const found = violations(join(dataDir, "capstan.db"), acked, results);
    t.same(found.slice(0, 10), [], `round ${round} (killed after ${delay} ms): consistent after restart`);
  }
  // the work left in the outbox is delivered once the server is back: every claimed command ends
  while (outbox.size) {
    for (const [id, success] of [...outbox]) {
      const res = await agent("POST", `/api/agents/${agentId}/commands/${id}/result`, { success, ...(success ? {} : { error: { code: "WORK_FAILED" } }) });
      t.equal(res.status, 200, `late result for ${id} accepted`);
      outbox.delete(id);
      results.set(id, success);
    }
  }
  t.equal(await server.stop(), 0, "the last server stops cleanly");
  t.same(violations(join(dataDir, "capstan.db"), acked, results).slice(0, 10), [], "consistent at the end");
  t.ok(figures.created > KILLS * 10, `commands were created under load (${figures.created})`);
  t.ok(results.size > KILLS * 5, `results were acknowledged under load (${results.size})`);
  const avg = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
  t.comment(
    `crash: ${KILLS} kills (after ${Math.min(...figures.killDelaysMs)}..${Math.max(...figures.killDelaysMs)} ms of load), ${KILLS} recoveries ` +
    `(restart ${avg(figures.restartMs)} ms avg, ${Math.max(...figures.restartMs)} ms max); ${acked.size} acknowledged creations, ` +
    `${figures.claimed} claims, ${results.size} acknowledged results: none lost or contradicted`,
  );
});
