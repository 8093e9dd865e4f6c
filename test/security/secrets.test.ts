// After the governance loop, neither the database file (with its WAL) nor the captured logs contain
// any raw secret used: passwords, session ids, CSRF tokens, registration/agent/API tokens, sensitive
// config values, secret payload fields.
import t from "tap";
import { existsSync, readFileSync } from "node:fs";
import { createApiToken } from "../../src/domain/apiTokens.js";
import { dbPath, startTestServer } from "../helpers.js";
import { reportedService } from "../fixtures.js";
import { databaseText } from "../testDb.js";

t.test("no raw secret reaches the database or the logs", async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  const secrets: string[] = [...s.passwords];
  secrets.push(owner.csrf!, owner.cookie!.split("=")[1]!);
  // a failed login with a password-looking value
  await s.anon.post("/api/admin/auth/login", { username: "owner-user", password: "typo-password-9876" });
  secrets.push("typo-password-9876");
  const pat = await createApiToken(s.app, { type: "SYSTEM", id: null }, owner.userId!, { name: "scan" });
  secrets.push(pat.rawToken);
  const api = s.clientWith({ token: pat.rawToken });

  const reg = await api.post("/api/admin/registration-tokens", { name: "scan" });
  const registrationToken = reg.body.data.rawToken as string;
  secrets.push(registrationToken);
  const service = reportedService("scan-service", {
    configs: [{ key: "DB_PASSWORD", type: "string", sensitive: true, valuePreview: "sensitive-preview-value", defaultValue: "sensitive-default-value" }],
    actions: [{ name: "login", label: "Login", inputSchema: { type: "object", properties: { user: { type: "string" }, pass: { type: "string", format: "password" } } } }],
  });
  secrets.push("sensitive-preview-value", "sensitive-default-value");
  const registered = await s.anon.post("/api/agents/register", {
    registrationToken, agent: { code: "scan-agent", mode: "embedded" }, service,
  });
  t.equal(registered.status, 200);
  const { agentId, agentToken, services } = registered.body.data;
  secrets.push(agentToken);
  const agent = s.clientWith({ token: agentToken });
  await agent.post(`/api/agents/${agentId}/heartbeat`, { health: { status: "UP" } });

  const exec = await api.post(`/api/admin/capsule-services/${services[0].serviceId}/actions/login`, { payload: { user: "u", pass: "payload-secret-4242" } });
  t.equal(exec.status, 200);
  secrets.push("payload-secret-4242");
  const polled = await agent.get(`/api/agents/${agentId}/commands`);
  t.equal(polled.body.data[0].payload.pass, "payload-secret-4242", "the agent receives the real value");
  await agent.post(`/api/agents/${agentId}/commands/${exec.body.data.id}/result`, {
    success: true, data: { generatedKey: "generated-key-31337", note: "token opstage_agent_" + "x".repeat(20) },
  });
  secrets.push("generated-key-31337");
  const detail = await api.get(`/api/admin/commands/${exec.body.data.id}`);
  t.equal(detail.body.data.result.data.generatedKey, "generated-key-31337", "first read reveals the key once");

  await s.close();
  const haystacks: [string, string][] = [["logs", s.logs.join("\n")]];
  // SQLite: the file and its WAL; PostgreSQL: a pg_dump of the database
  haystacks.push([s.db.kind === "postgres" ? "pg_dump" : "capstan.db(+wal)", databaseText(s)]);
  for (const secret of secrets) {
    for (const [name, text] of haystacks) t.notOk(text.includes(secret), `${name} does not contain ${secret.slice(0, 14)}…`);
  }
});
