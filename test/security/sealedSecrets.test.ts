// One-time secrets are sealed at rest (AES-256-GCM, command_secrets) so any node can hand them out:
// no plaintext in the database (SQLite file + WAL, or pg_dump) while pending, after dispatch, or while a
// generatedKey waits; a second server on the same PostgreSQL database with the same key dispatches and
// reveals them; a server with another key fails them with SECRET_UNAVAILABLE (audited, no plaintext);
// SQLite's key file is made 0600 once, reused, and a world-readable one stops startup.
import { chmodSync, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { kit, type Kit } from "../commandKit.js";
import type { Tap } from "../helpers.js";
import { runCli } from "../cli/_run.js";
import { databaseEnvFor, databaseText, onPostgres, sqliteOnly, TEST_SECRET_KEY } from "../testDb.js";
import { loadConfig, type Config } from "../../src/config.js";
import { hasCommandSecret } from "../../src/db/commandSecrets.js";
import { createLogger } from "../../src/log.js";
import { keyIdOf } from "../../src/secrets/secretBox.js";
import { startServer, type RunningServer } from "../../src/server.js";

t.setTimeout(180_000);

type Node = RunningServer & { config: Config; logs: string[] };

/** Another server (node) on the data dir's database: on PostgreSQL the same database as the kit's server. */
async function nodeOn(t: Tap, dataDir: string, env: Record<string, string> = {}): Promise<Node> {
  const dbEnv = await databaseEnvFor(dataDir);
  const config = loadConfig({ CAPSTAN_PORT: "0", CAPSTAN_DATA_DIR: dataDir, CAPSTAN_LOG_LEVEL: "debug", ...dbEnv, ...env });
  const logs: string[] = [];
  const s = await startServer({ config, log: createLogger({ level: "debug", format: "json", write: (l) => logs.push(l) }) });
  t.teardown(() => s.close());
  return Object.assign(s, { config, logs });
}

/** A request to any node with one of the kit's credentials (the agent token, or the operator's session). */
async function call(url: string, who: Kit["agent"], method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (who.token) headers.authorization = `Bearer ${who.token}`;
  if (who.cookie) headers.cookie = who.cookie;
  if (who.csrf && method !== "GET") headers["x-csrf-token"] = who.csrf;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) };
}

/** The SQLite file and WAL exactly as they are on disk (no checkpoint first), or nothing on PostgreSQL. */
function rawSqliteBytes(s: { db: { kind: string }; config: { dataDir: string } }): string {
  if (s.db.kind !== "sqlite") return "";
  const file = join(s.config.dataDir, "capstan.db");
  return [file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f).toString("latin1")).join("\n");
}

/** The key the kit's server seals with, as text: the SQLite key file, or the harness's CAPSTAN_SECRET_KEY. */
const keyTextOf = (s: { config: Config }): string =>
  onPostgres ? TEST_SECRET_KEY : readFileSync(join(s.config.dataDir, "secret.key"), "utf8").trim();

const SECRET = "sealed-secret-7f3a91c2e4";
const PIN = "sealed-pin-55aa01bb";
const KEY = "gk_sealed_0123456789abcdef";

t.test("no plaintext in the database while pending, after dispatch, or while a generatedKey waits", async (t) => {
  const k = await kit(t);
  const box = k.s.app.secretBox;
  const where = onPostgres ? "pg_dump" : "capstan.db + WAL";
  const plain = [SECRET, PIN, KEY, keyTextOf(k.s)];
  const leaks = (text: string) => plain.filter((p) => text.includes(p));
  const envelope = new RegExp(`v1\\.${box.keyId}\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]+`);

  const created = await k.execute("login", { payload: { user: "bob", password: SECRET, nested: { pin: PIN } } });
  t.equal(created.status, 200, created.text);
  const id = created.body.data.id as string;
  t.ok(await hasCommandSecret(k.s.db, id, "secrets"), "pending: the sealed payload is stored");
  t.same(leaks(rawSqliteBytes(k.s)), [], "pending: not in the SQLite file or WAL as written (before any checkpoint)");
  const pending = databaseText(k.s);
  t.same(leaks(pending), [], `pending: not in the ${where}`);
  t.match(pending, envelope, `pending: the ${where} holds the envelope (the scan sees command_secrets)`);

  const polled = await k.poll();
  const cmd = polled.body.data.find((c: { id: string }) => c.id === id);
  t.same(cmd?.payload, { user: "bob", password: SECRET, nested: { pin: PIN } }, "the agent receives the real values");
  t.notOk(await hasCommandSecret(k.s.db, id, "secrets"), "dispatched: the sealed payload is deleted");
  t.same(leaks(rawSqliteBytes(k.s)), [], "dispatched: not in the SQLite file or WAL as written");
  t.same(leaks(databaseText(k.s)), [], `dispatched: not in the ${where}`);

  t.equal((await k.result(id, { success: true, data: { generatedKey: KEY, keyId: "k1" } })).status, 200);
  t.ok(await hasCommandSecret(k.s.db, id, "generatedKey"), "the generatedKey is stored sealed");
  t.same(leaks(rawSqliteBytes(k.s)), [], "unread key: not in the SQLite file or WAL as written");
  const waiting = databaseText(k.s);
  t.same(leaks(waiting), [], `unread key: not in the ${where}`);
  t.match(waiting, envelope, `unread key: its envelope is in the ${where}`);
  t.equal((await k.operator.get(`/api/admin/commands/${id}`)).body.data.result.data.generatedKey, KEY, "revealed once");
  t.notOk(await hasCommandSecret(k.s.db, id, "generatedKey"), "and deleted as it was revealed");

  await k.s.close();
  t.same(leaks(databaseText(k.s)), [], `after shutdown: not in the ${where}`);
  const logs = k.s.logs.join("\n");
  t.same(leaks(logs), [], "no secret and no key in the logs");
  t.notMatch(logs, envelope, "no envelope in the logs");
  t.match(logs, `secret key ${box.keyId} (from ${onPostgres ? "CAPSTAN_SECRET_KEY" : join(k.s.config.dataDir, "secret.key")})`, "the start logs the key id and its source");
});

t.test("PostgreSQL: a command created through one node is dispatched through another with the same key", { skip: onPostgres ? false : "PostgreSQL only: nodes share one database" }, async (t) => {
  const k = await kit(t);
  const b = await nodeOn(t, k.s.config.dataDir);
  t.equal(b.config.databaseUrl, k.s.config.databaseUrl, "one database");
  t.equal(b.app.secretBox.keyId, k.s.app.secretBox.keyId, "one key");

  const created = await k.execute("login", { payload: { user: "bob", password: SECRET, nested: { pin: PIN } } });
  const id = created.body.data.id as string;
  const polled = await call(b.url, k.agent, "GET", `/api/agents/${k.agentId}/commands`);
  t.equal(polled.status, 200);
  t.same(polled.body.data.find((c: { id: string }) => c.id === id)?.payload, { user: "bob", password: SECRET, nested: { pin: PIN } },
    "the other node hands out the secret the first node sealed");
  t.same((await k.poll()).body.data, [], "and the first node has nothing left to hand out");
  t.equal((await k.audit("command.dispatched", id)).length, 1, "dispatched once");

  // the other way round: the result (with a generatedKey) arrives at node B, its runner reads it on node A
  const res = await call(b.url, k.agent, "POST", `/api/agents/${k.agentId}/commands/${id}/result`, { success: true, data: { generatedKey: KEY } });
  t.equal(res.status, 200, res.text);
  t.equal((await k.operator.get(`/api/admin/commands/${id}`)).body.data.result.data.generatedKey, KEY, "node A reveals what node B sealed");
  const again = await call(b.url, k.operator, "GET", `/api/admin/commands/${id}`);
  t.equal(again.body.data.result.data.generatedKey, "[REDACTED]", "once, across nodes");
  t.same([SECRET, PIN, KEY].filter((p) => databaseText(b).includes(p)), [], "pg_dump holds none of them");
});

t.test("a server with another key: SECRET_UNAVAILABLE at claim (audited, says the key changed), an unread key is gone, no plaintext", async (t) => {
  const k = await kit(t);
  const oldKeyId = k.s.app.secretBox.keyId;
  const keyed = await k.running("rotateKey"); // first: its poll would claim any pending command
  t.equal((await k.result(keyed, { success: true, data: { generatedKey: KEY } })).status, 200);
  const created = await k.execute("login", { payload: { user: "bob", password: SECRET, nested: { pin: PIN } } });
  const id = created.body.data.id as string;
  await k.s.close();

  const otherKey = "ab".repeat(32);
  const b = await nodeOn(t, k.s.config.dataDir, { CAPSTAN_SECRET_KEY: otherKey });
  t.not(b.app.secretBox.keyId, oldKeyId, "started with another key");
  const polled = await call(b.url, k.agent, "GET", `/api/agents/${k.agentId}/commands`);
  t.equal(polled.status, 200);
  t.same(polled.body.data, [], "not sent");
  const detail = await call(b.url, k.operator, "GET", `/api/admin/commands/${id}`);
  t.equal(detail.body.data.status, "FAILED");
  t.equal(detail.body.data.errorCode, "SECRET_UNAVAILABLE");
  t.match(detail.body.data.errorMessage, /secret key changed since the command was created/);
  t.match(detail.body.data.errorMessage, oldKeyId, "names the key it was sealed with");
  t.match(detail.body.data.errorMessage, b.app.secretBox.keyId, "and the configured one");
  t.match(detail.body.data.errorMessage, /run the action again/);
  const audit = await b.db.all<{ result: string; metadata_json: string; message: string }>(
    `SELECT result, metadata_json, message FROM audit_events WHERE action = 'command.failed' AND target_id = ?`, [id]);
  t.equal(audit.length, 1, "audited");
  t.equal(audit[0]!.result, "FAILURE");
  t.match(JSON.parse(audit[0]!.metadata_json), { errorCode: "SECRET_UNAVAILABLE", reason: "wrong-key" });
  t.notOk(await hasCommandSecret(b.db, id, "secrets"), "the unusable envelope is gone");

  const read = await call(b.url, k.operator, "GET", `/api/admin/commands/${keyed}`);
  t.equal(read.body.data.result.data.generatedKey, "[REDACTED]", "a generatedKey sealed with the old key is never shown");
  t.notOk(await hasCommandSecret(b.db, keyed, "generatedKey"), "and gone");

  await b.close();
  const haystacks: [string, string][] = [
    ["the poll", polled.text], ["the detail", detail.text], ["the logs", b.logs.join("\n") + k.s.logs.join("\n")], ["the database", databaseText(b)],
  ];
  for (const [name, text] of haystacks) t.same([SECRET, PIN, KEY, otherKey].filter((p) => text.includes(p)), [], `${name}: no plaintext, no key`);
  t.ok(b.logs.some((l) => l.includes("sealed with another key")), "the changed key is logged as a warning");
});

t.test("SQLite: the key file is made 0600 at first start, reused on restart; a world-readable one stops startup", sqliteOnly("the key file in the data dir; PostgreSQL requires CAPSTAN_SECRET_KEY"), async (t) => {
  const k = await kit(t);
  const dir = k.s.config.dataDir;
  const path = join(dir, "secret.key");
  t.equal(statSync(path).mode & 0o777, 0o600, "mode 0600");
  const text = readFileSync(path, "utf8");
  t.match(text, /^[0-9a-f]{64}\n$/, "32 random bytes as hex");
  t.equal(k.s.app.secretBox.keyId, keyIdOf(Buffer.from(text.trim(), "hex")), "the server seals with the file's key");

  const created = await k.execute("login", { payload: { user: "bob", password: SECRET, nested: { pin: PIN } } });
  const id = created.body.data.id as string;
  await k.s.close();
  const b = await nodeOn(t, dir);
  t.equal(readFileSync(path, "utf8"), text, "the restart reused the file unchanged");
  t.equal(b.app.secretBox.keyId, k.s.app.secretBox.keyId, "and its key");
  const polled = await call(b.url, k.agent, "GET", `/api/agents/${k.agentId}/commands`);
  t.same(polled.body.data.find((c: { id: string }) => c.id === id)?.payload.password, SECRET, "a pending secret survives the restart");
  await b.close();

  chmodSync(path, 0o644);
  await t.rejects(nodeOn(t, dir), /secret key file .*secret\.key is readable by group or others \(mode 0644\); run `chmod 600/, "the server refuses to start");
  const cli = await runCli(["serve", "--port", "0", "--data-dir", dir]);
  t.equal(cli.status, 1, "capstan serve exits 1");
  t.match(cli.stderr, /^capstan: secret key file .* is readable by group or others \(mode 0644\); run `chmod 600 /m, cli.stderr);
  t.equal(readFileSync(path, "utf8"), text, "the key file is never replaced");
});

t.test("PostgreSQL: without CAPSTAN_SECRET_KEY the server and the CLI refuse to start", { skip: onPostgres ? false : "PostgreSQL only" }, async (t) => {
  const k = await kit(t);
  await t.rejects(nodeOn(t, k.s.config.dataDir, { CAPSTAN_SECRET_KEY: "" }), /CAPSTAN_SECRET_KEY: required with CAPSTAN_DATABASE_URL/);
  for (const args of [["serve", "--port", "0"], ["user", "list"]]) {
    const cli = await runCli([...args, "--data-dir", k.s.config.dataDir], { env: { CAPSTAN_SECRET_KEY: "" } });
    t.equal(cli.status, 1, `capstan ${args[0]} exits 1`);
    t.match(cli.stderr, /CAPSTAN_SECRET_KEY: required with CAPSTAN_DATABASE_URL: every node of one installation must share the same key/);
  }
  t.notOk(existsSync(join(k.s.config.dataDir, "secret.key")), "no per-node key file is made");
});
