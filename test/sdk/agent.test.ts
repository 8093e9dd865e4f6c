// The SDK bundle against a real server: registration, token reuse, re-registration, refusals, idleness.
import { readFileSync, statSync } from "node:fs";
import t from "tap";
import { createRegistrationToken } from "../fixtures.js";
import { startTestServer } from "../helpers.js";
import { captureLogger, execute, loadDemo, loadSdk, tokenFileIn, waitFor, waitTerminal } from "./sdkKit.js";

const FAST = { backoff: { baseMs: 50, maxMs: 500 }, progressIntervalMs: 100 };

t.test("registers, reports the demo service and reuses its token across a restart", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const { createDemoService, DEMO_CODE } = await loadDemo();
  const registrationToken = await createRegistrationToken(op);
  const tokenFile = tokenFileIn(s.config.dataDir);
  const log = captureLogger();

  const first = createDemoService({ backendUrl: s.url, registrationToken, tokenFile, logger: log.logger, ...FAST });
  await first.agent.start();
  t.equal(first.agent.state, "running");
  const agentId = first.agent.agentId!;
  const serviceId = first.agent.serviceId!;
  t.match(agentId, /^agt_/);
  t.match(serviceId, /^svc_/);
  t.equal(statSync(tokenFile).mode & 0o777, 0o600, "token file is 0600");
  const stored = JSON.parse(readFileSync(tokenFile, "utf8"));
  t.same(Object.keys(stored).sort(), ["agentId", "agentToken", "backendUrl", "savedAt"]);
  t.equal(stored.agentId, agentId);

  const service = await waitFor(async () => {
    const r = await op.get(`/api/admin/capsule-services/${serviceId}`);
    return r.body.data?.status === "HEALTHY" ? r.body.data : undefined;
  }, 3000, "the service to be HEALTHY");
  t.equal(service.code, DEMO_CODE);
  const configs = (await op.get(`/api/admin/capsule-services/${serviceId}/configs`)).body.data;
  const secret = configs.find((c: any) => c.key === "DEMO_API_KEY");
  t.equal(secret.sensitive, true);
  t.notOk(secret.valuePreview, "sensitive value never reported");
  t.equal(secret.secretRef, "env://DEMO_API_KEY");
  const actions = (await op.get(`/api/admin/capsule-services/${serviceId}/actions`)).body.data.map((a: any) => a.name).sort();
  t.same(actions, ["createItem", "echo", "failOnce", "listItems", "rotateKey", "runHealthCheck", "slowReindex"]);
  await first.agent.stop();
  t.equal(first.agent.state, "stopped");

  // The registration token is used up; a restart must not need it.
  const second = createDemoService({ backendUrl: s.url, registrationToken, tokenFile, logger: log.logger, ...FAST });
  await second.agent.start();
  t.teardown(() => second.agent.stop());
  t.equal(second.agent.state, "running");
  t.equal(second.agent.agentId, agentId, "same agent after restart");
  t.equal(second.agent.serviceId, serviceId);
  const cmd = await execute(op, serviceId, "echo", { payload: { message: "after restart" } });
  const done = await waitTerminal(op, cmd.id);
  t.equal(done.status, "SUCCEEDED");
  t.equal(done.result.data.message, "after restart");

  const all = log.lines.join("\n") + s.logs.join("\n");
  t.notOk(all.includes(registrationToken), "registration token never logged");
  t.notOk(all.includes(stored.agentToken), "agent token never logged");
});

t.test("re-registers after the server revokes the agent, with a bound registration token", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const { createDemoService, DEMO_CODE } = await loadDemo();
  const registrationToken = await createRegistrationToken(op, { agentCode: DEMO_CODE, maxUses: 2, expiresInSeconds: 3600 });
  const tokenFile = tokenFileIn(s.config.dataDir);
  const log = captureLogger();
  const demo = createDemoService({ backendUrl: s.url, registrationToken, tokenFile, logger: log.logger, longPollSeconds: 1, ...FAST });
  await demo.agent.start();
  t.teardown(() => demo.agent.stop());
  const agentId = demo.agent.agentId!;
  const oldToken = JSON.parse(readFileSync(tokenFile, "utf8")).agentToken;

  t.equal((await op.post(`/api/admin/agents/${agentId}/revoke`, {})).status, 200);
  await waitFor(() => {
    try {
      return demo.agent.state === "running" && JSON.parse(readFileSync(tokenFile, "utf8")).agentToken !== oldToken;
    } catch {
      return false;
    }
  }, 5000, "re-registration");
  const newToken = JSON.parse(readFileSync(tokenFile, "utf8")).agentToken;
  t.equal(demo.agent.agentId, agentId, "the same agent was re-enrolled");
  t.ok(log.lines.some((l) => l.includes("registering again")), "the re-registration is logged");
  const cmd = await execute(op, demo.agent.serviceId!, "echo", { payload: { message: "back" } });
  t.equal((await waitTerminal(op, cmd.id)).status, "SUCCEEDED", "commands flow again");
  const all = log.lines.join("\n");
  for (const secret of [registrationToken, oldToken, newToken]) t.notOk(all.includes(secret), "no token in the SDK's logs");
});

t.test("AGENT_CODE_TAKEN: one clear line, then idle; the host keeps running", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const { createDemoService } = await loadDemo();
  const owner = createDemoService({ backendUrl: s.url, registrationToken: await createRegistrationToken(op), tokenFile: tokenFileIn(s.config.dataDir, "a.json"), ...FAST });
  await owner.agent.start();
  t.teardown(() => owner.agent.stop());

  const log = captureLogger();
  const unbound = await createRegistrationToken(op);
  const intruder = createDemoService({ backendUrl: s.url, registrationToken: unbound, tokenFile: tokenFileIn(s.config.dataDir, "b.json"), logger: log.logger, ...FAST });
  await intruder.agent.start();
  t.teardown(() => intruder.agent.stop());
  t.equal(intruder.agent.state, "idle");
  const errors = log.lines.filter((l) => l.startsWith("error"));
  t.equal(errors.length, 1, "exactly one error line");
  t.match(errors[0], /AGENT_CODE_TAKEN/);
  t.match(errors[0], /Re-enroll/);
  t.notOk(errors[0]!.includes(unbound), "the token is not in the guidance");
});

t.test("refused registration tokens, missing credentials and a down server never throw", async (t) => {
  const s = await startTestServer(t);
  const { CapsuleAgent, RegistrationError, NetworkError, AgentAuthError } = await loadSdk();
  t.type(RegistrationError, "function");
  t.type(NetworkError, "function");
  t.type(AgentAuthError, "function");
  const dir = s.config.dataDir;

  const bad = captureLogger();
  const a = new CapsuleAgent({ backendUrl: s.url, registrationToken: "opstage_reg_notARealToken123456", tokenFile: tokenFileIn(dir, "x.json"), agent: { code: "bad-token" }, logger: bad.logger });
  await a.start();
  t.equal(a.state, "idle");
  t.match(bad.lines.join("\n"), /REGISTRATION_TOKEN_INVALID/);
  t.notMatch(bad.lines.join("\n"), /notARealToken/);

  const none = captureLogger();
  const b = new CapsuleAgent({ backendUrl: s.url, tokenFile: tokenFileIn(dir, "y.json"), agent: { code: "no-token" }, logger: none.logger });
  await b.start();
  t.equal(b.state, "idle");
  t.match(none.lines.join("\n"), /CAPSTAN_REGISTRATION_TOKEN/);

  const down = new CapsuleAgent({ backendUrl: "http://127.0.0.1:9", registrationToken: "opstage_reg_x", tokenFile: tokenFileIn(dir, "z.json"), agent: { code: "down" }, logger: captureLogger().logger, backoff: { baseMs: 10, maxMs: 50 } });
  const started = Date.now();
  await down.start();
  t.ok(Date.now() - started < 3000, "start() resolves while the server is down");
  t.equal(down.state, "connecting");
  await down.stop();

  t.throws(() => new CapsuleAgent({ agent: { code: "Not Valid" } }), TypeError, "a bad agent code is a programming error");
});

t.test("a disabled agent stops taking commands and resumes when enabled", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const { createDemoService } = await loadDemo();
  const demo = createDemoService({
    backendUrl: s.url, registrationToken: await createRegistrationToken(op), tokenFile: tokenFileIn(s.config.dataDir),
    logger: captureLogger().logger, longPollSeconds: 1, disabledHeartbeatSeconds: 0.2, ...FAST,
  });
  await demo.agent.start();
  t.teardown(() => demo.agent.stop());
  t.equal((await op.post(`/api/admin/agents/${demo.agent.agentId}/disable`, {})).status, 200);
  await waitFor(() => demo.agent.state === "disabled", 4000, "the SDK to notice DISABLED");
  t.equal((await op.post(`/api/admin/agents/${demo.agent.agentId}/enable`, {})).status, 200);
  await waitFor(() => demo.agent.state === "running", 4000, "the SDK to resume");
  const cmd = await execute(op, demo.agent.serviceId!, "echo", { payload: { message: "enabled" } });
  t.equal((await waitTerminal(op, cmd.id)).status, "SUCCEEDED");
});
