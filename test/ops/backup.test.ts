import Database from "better-sqlite3";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { registerTestAgent } from "../fixtures.js";
import { sleep, startTestServer, type Client, type Tap, type TestServer } from "../helpers.js";
import { runCli } from "../cli/_run.js";
import { onPostgres, sqliteOnly } from "../testDb.js";

const integrity = (path: string): string => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.pragma("integrity_check", { simple: true }) as string);
  } finally {
    db.close();
  }
};

/** A fresh directory for backup files (t.testdir() again would wipe the server's own data dir). */
const outDir = (t: Tap): string => {
  const dir = mkdtempSync(join(tmpdir(), "capstan-backup-test-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

async function download(s: TestServer, client: Client, dest: string): Promise<Response> {
  const res = await fetch(`${s.url}/api/admin/backup`, {
    method: "POST", headers: { cookie: client.cookie!, "x-csrf-token": client.csrf!, "content-type": "application/json" }, body: "{}",
  });
  if (res.status === 200) writeFileSync(dest, Buffer.from(await res.arrayBuffer()));
  return res;
}

t.test("an owner downloads a consistent, verified snapshot; the download is audited and not kept", sqliteOnly('the snapshot API copies the SQLite file (PostgreSQL: pg_dump, tested below)'), async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  const dest = join(outDir(t), "download.db");
  const res = await download(s, owner, dest);
  t.equal(res.status, 200);
  t.equal(res.headers.get("content-type"), "application/vnd.sqlite3");
  t.match(res.headers.get("content-disposition"), /^attachment; filename="capstan-\d{8}T\d{6}Z\.db"$/);
  t.equal(integrity(dest), "ok");
  const copy = new Database(dest, { readonly: true });
  t.teardown(() => copy.close());
  t.ok(copy.prepare(`SELECT 1 FROM users WHERE username = 'owner-user'`).get(), "holds the data");
  t.equal(copy.pragma("journal_mode", { simple: true }), "delete", "a single self-contained file");
  const audit = await s.db.all<Record<string, string>>(`SELECT actor_type, actor_id, target_type FROM audit_events WHERE action = 'backup.sqlite.created'`);
  t.same(audit, [{ actor_type: "USER", actor_id: owner.userId, target_type: "Backup" }]);
  await sleep(50);
  const left = existsSync(join(s.config.dataDir, "backups")) ? readdirSync(join(s.config.dataDir, "backups")) : [];
  t.same(left, [], "the temporary snapshot is removed after sending");
});

t.test("backup refusals", async (t) => {
  const s = await startTestServer(t);
  t.equal((await s.anon.post("/api/admin/backup", {})).status, 401);
  const operator = await s.loginAs("operator");
  const denied = await operator.post("/api/admin/backup", {});
  t.equal(denied.status, 403, "owner only");
  t.equal(denied.body.error.code, "FORBIDDEN");
  const owner = await s.loginAs("owner");
  const bad = await owner.post("/api/admin/backup", { path: "/etc/passwd" });
  t.equal(bad.status, 422, "no parameters accepted");
  t.equal((await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM audit_events WHERE action = 'backup.sqlite.created'`))!.n, 0);
});

t.test("backups under load: 50 agents heartbeat and commands run", sqliteOnly('the snapshot API copies the SQLite file (PostgreSQL: pg_dump, tested below)'), async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_LOG_LEVEL: "warn" } });
  const owner = await s.loginAs("owner");
  const agents: Awaited<ReturnType<typeof registerTestAgent>>[] = [];
  for (let i = 0; i < 50; i++) agents.push(await registerTestAgent(s, { code: `load-agent-${i}`, serviceCode: `load-svc-${i}` }));
  const operator = agents[0]!.operator;

  let stop = false;
  const acknowledged: { id: string; at: number }[] = [];
  const failures: string[] = [];
  const heartbeats = agents.map(async (a) => {
    while (!stop) {
      const r = await a.agent.post(`/api/agents/${a.agentId}/heartbeat`, { health: { status: "UP" } });
      if (r.status !== 200) failures.push(`heartbeat ${r.status}`);
      await sleep(50); // brisk, but not a flood that starves every other request
    }
  });
  const runners = [0, 1, 2, 3, 4].map(async (w) => {
    for (let n = 0; !stop; n++) {
      const a = agents[(w * 10 + n) % agents.length]!;
      const created = await operator.post(`/api/admin/capsule-services/${a.serviceId}/actions/echo`, { payload: { message: `m${n}` } });
      if (created.status !== 200) { failures.push(`execute ${created.status} ${created.text}`); continue; }
      const polled = await a.agent.get(`/api/agents/${a.agentId}/commands`);
      if (polled.status !== 200) failures.push(`poll ${polled.status} ${polled.text}`);
      for (const c of polled.body.data as { id: string }[]) {
        const done = await a.agent.post(`/api/agents/${a.agentId}/commands/${c.id}/result`, { success: true, message: "ok" });
        if (done.status === 200) acknowledged.push({ id: c.id, at: Date.now() });
        else failures.push(`result ${done.status}`);
      }
    }
  });
  const load = Promise.all([...heartbeats, ...runners]);

  for (let i = 0; i < 200 && acknowledged.length < 20; i++) await sleep(25); // let commands accumulate

  // 1. through the API, on the serving connection
  const apiStarted = Date.now();
  const out = outDir(t);
  const apiFile = join(out, "api.db");
  t.equal((await download(s, owner, apiFile)).status, 200);
  const apiAcked = acknowledged.filter((c) => c.at < apiStarted).map((c) => c.id);

  await sleep(200);
  // 2. through the CLI, a second process with its own connection to the live file
  const cliStarted = Date.now();
  const cliFile = join(out, "cli.db");
  const cliAckedBefore = acknowledged.filter((c) => c.at < cliStarted).map((c) => c.id);
  // asynchronously: a synchronous spawn would block this process's event loop, and with it the load
  const cli = await runCli(["backup", cliFile, "--data-dir", s.config.dataDir]);
  t.equal(cli.status, 0, `cli backup succeeded ${cli.stderr}`);

  stop = true;
  await load;
  t.same(failures.slice(0, 5), [], "the load itself ran without errors");
  t.ok(apiAcked.length > 10, `commands were acknowledged before the API backup (${apiAcked.length})`);

  for (const [label, file, acked] of [["api", apiFile, apiAcked], ["cli", cliFile, cliAckedBefore]] as const) {
    t.equal(integrity(file), "ok", `${label} backup passes integrity_check`);
    const db = new Database(file, { readonly: true });
    const status = db.prepare(`SELECT status FROM commands WHERE id = ?`).pluck();
    const missing = acked.filter((id) => status.get(id) !== "SUCCEEDED");
    t.same(missing, [], `${label} backup holds every command acknowledged before it started (${acked.length})`);
    t.equal(db.prepare(`SELECT COUNT(*) FROM agents`).pluck().get(), 50);
    db.close();
  }
});

t.test("PostgreSQL: the snapshot API refuses with the pg_dump/pg_restore commands", { skip: onPostgres ? false : "PostgreSQL only (CAPSTAN_TEST_DATABASE=postgres)" }, async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  const res = await owner.post("/api/admin/backup", {});
  t.equal(res.status, 409);
  t.equal(res.body.error.code, "BACKUP_NOT_AVAILABLE");
  t.match(res.body.error.message, /pg_dump --format=custom/);
  t.match(res.body.error.message, /pg_restore /);
  t.equal((await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM audit_events WHERE action = 'backup.sqlite.created'`))!.n, 0, "nothing audited as written");
});
