// The governance loop end to end against the built server (`node dist/capstan.js serve`) with the SDK
// as the agent: afterwards the database file, its WAL, a backup and every captured log line (server
// stdout/stderr and the SDK's logger) contain none of the raw secrets that were used.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { captureLogger, loadSdk, waitFor } from "../sdk/sdkKit.js";
import { ADMIN_PASSWORD, freePort, jsonClient, spawnServer } from "./_kit.js";
import { databaseEnvFor, pgDump } from "../testDb.js";

t.test("no raw secret in the database, its WAL, a backup or any log", async (t) => {
  t.setTimeout(60_000);
  const dir = t.testdir();
  const dataDir = join(dir, "data");
  // PostgreSQL: the haystacks are pg_dump's of the database (running and stopped) instead of the files
  const pgUrl = (await databaseEnvFor(dataDir)).CAPSTAN_DATABASE_URL;
  const server = await spawnServer({ dataDir, port: await freePort(), env: { CAPSTAN_LOG_LEVEL: "debug" } });
  t.teardown(() => server.stop());
  const secrets: Record<string, string> = { adminPassword: ADMIN_PASSWORD };

  // login (the bootstrap owner), a cookie session and its CSRF token
  const login = await fetch(server.url + "/api/admin/auth/login", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
  });
  t.equal(login.status, 200);
  const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const csrf = ((await login.json()) as { data: { csrfToken: string } }).data.csrfToken;
  secrets.sessionId = cookie.split("=")[1]!;
  secrets.csrfToken = csrf;
  const session = jsonClient(server.url, { cookie, "x-csrf-token": csrf });
  const wrong = await jsonClient(server.url)("POST", "/api/admin/auth/login", { username: "admin", password: "mistyped-password-7731" });
  t.equal(wrong.status, 401);
  secrets.mistypedPassword = "mistyped-password-7731";

  // an API token, a second user and a password reset, all through the API token
  const pat = await session("POST", "/api/admin/api-tokens", { name: "secrets-scan" });
  secrets.apiToken = pat.body.data.rawToken;
  const api = jsonClient(server.url, { authorization: `Bearer ${secrets.apiToken}` });
  const user = await api("POST", "/api/admin/users", { username: "second-operator", password: "second-operator-password-1", role: "operator" });
  t.equal(user.status, 200);
  secrets.userPassword = "second-operator-password-1";
  t.equal((await api("POST", `/api/admin/users/${user.body.data.id}/reset-password`, { password: "reset-operator-password-2" })).status, 200);
  secrets.resetPassword = "reset-operator-password-2";

  // registration through the SDK, with a sensitive config and the two secret-bearing actions
  const reg = await api("POST", "/api/admin/registration-tokens", { name: "secrets-scan" });
  secrets.registrationToken = reg.body.data.rawToken;
  const { CapsuleAgent } = await loadSdk();
  const sdkLog = captureLogger();
  const tokenDir = join(dir, "agent");
  mkdirSync(tokenDir, { recursive: true });
  const agent = new CapsuleAgent({
    backendUrl: server.url, registrationToken: secrets.registrationToken, tokenFile: join(tokenDir, "token.json"),
    agent: { code: "secrets-agent" }, service: { code: "secrets-service", name: "Secrets", version: "1.0.0" }, logger: sdkLog.logger,
    backoff: { baseMs: 50, maxMs: 500 },
  });
  secrets.configPreview = "sensitive-config-preview-5521";
  agent.configs(() => [{ key: "UPSTREAM_API_KEY", type: "string", sensitive: true, valuePreview: secrets.configPreview!, secretRef: "env://UPSTREAM_API_KEY" }]);
  secrets.generatedKey = "generated-key-9f8e7d6c5b4a";
  agent.action({ name: "rotateKey", label: "Rotate key", handler: async () => ({ success: true, message: "rotated", data: { generatedKey: secrets.generatedKey } }) });
  const received: string[] = [];
  agent.action({
    name: "connect", label: "Connect",
    inputSchema: { type: "object", properties: { user: { type: "string" }, password: { type: "string", format: "password" } }, required: ["user", "password"] },
    handler: async (payload: { password: string }) => {
      received.push(payload.password);
      return { success: true, message: "connected" };
    },
  });
  await agent.start();
  t.teardown(() => agent.stop());
  await waitFor(() => agent.serviceId, 5000, "the service to be reported");
  secrets.agentToken = JSON.parse(readFileSync(join(tokenDir, "token.json"), "utf8")).agentToken;

  const run = async (action: string, payload: object) => {
    const created = await api("POST", `/api/admin/capsule-services/${agent.serviceId}/actions/${action}`, { payload });
    t.equal(created.status, 200, `${action} created`);
    return waitFor(async () => {
      const c = await api("GET", `/api/admin/commands/${created.body.data.id}`);
      return c.body.data.status === "SUCCEEDED" ? c.body.data : undefined;
    }, 8000, `${action} to succeed`);
  };
  const rotated = await run("rotateKey", {});
  t.equal(rotated.result.data.generatedKey, secrets.generatedKey, "the first read shows the generated key once");
  const again = await api("GET", `/api/admin/commands/${rotated.id}`);
  t.equal(again.body.data.result.data.generatedKey, "[REDACTED]", "later reads do not");
  secrets.payloadPassword = "payload-password-field-4417";
  await run("connect", { user: "svc", password: secrets.payloadPassword });
  t.same(received, [secrets.payloadPassword], "the handler received the real password");

  // a backup through the API, then the files as they are while the server runs, then after a clean stop
  const backup = await fetch(server.url + "/api/admin/backup", { method: "POST", headers: { authorization: `Bearer ${secrets.apiToken}`, "content-type": "application/json" }, body: "{}" });
  const backupFile = join(dir, "backup.db");
  let live: [string, Buffer][];
  if (pgUrl) {
    t.equal(backup.status, 409, "PostgreSQL: the snapshot API points to pg_dump instead");
    live = [["pg_dump (running)", Buffer.from(pgDump(pgUrl), "latin1")]];
    writeFileSync(backupFile, pgDump(pgUrl), "latin1"); // the backup PostgreSQL users take
  } else {
    t.equal(backup.status, 200);
    writeFileSync(backupFile, Buffer.from(await backup.arrayBuffer()));
    live = ["capstan.db", "capstan.db-wal"]
      .filter((f) => existsSync(join(dataDir, f)))
      .map((f): [string, Buffer] => [`${f} (running)`, readFileSync(join(dataDir, f))]);
    t.ok(live.some(([n]) => n.startsWith("capstan.db-wal")), "a WAL file existed while running");
  }
  await agent.stop();
  t.equal(await server.stop(), 0, "the server stopped cleanly");

  const stopped: [string, Buffer][] = pgUrl
    ? [["pg_dump (stopped)", Buffer.from(pgDump(pgUrl), "latin1")]]
    : ["capstan.db", "capstan.db-wal"].filter((f) => existsSync(join(dataDir, f))).map((f): [string, Buffer] => [`${f} (stopped)`, readFileSync(join(dataDir, f))]);
  if (pgUrl) t.match(stopped[0]![1].toString("latin1"), /COPY public\.commands/, "the dump holds the tables' rows");
  const haystacks: [string, Buffer][] = [
    ...live,
    ...stopped,
    ["backup", readFileSync(backupFile)],
    ["server output", Buffer.from(server.output.join(""))],
    ["SDK logs", Buffer.from(sdkLog.lines.join("\n"))],
  ];
  t.ok(server.output.join("").split("\n").length > 20, "the server logged every request (debug level)");
  for (const [name, value] of Object.entries(secrets)) {
    t.ok(value && value.length >= 12, `${name} is a real secret`);
    for (const [where, bytes] of haystacks) {
      // latin1 keeps every byte, so a secret inside a binary page is still found; utf16 would be a different encoding
      t.notOk(bytes.toString("latin1").includes(value), `${where} does not contain the ${name}`);
    }
  }
  t.comment(`${Object.keys(secrets).length} secrets x ${haystacks.length} haystacks (${haystacks.map(([n, b]) => `${n} ${b.length} B`).join(", ")})`);
});
