// Shared setup of the message-routing tests: a server with messages on, the real demo service over
// the SDK bundle, and a messages-only API token.
import { createRegistrationToken } from "../fixtures.js";
import { startTestServer, type Client, type Tap, type TestServer } from "../helpers.js";
import { captureLogger, loadDemo, tokenFileIn, type DemoService } from "../sdk/sdkKit.js";

export const FAST = { backoff: { baseMs: 50, maxMs: 500 }, progressIntervalMs: 100 };
export const DEMO = "demo-capsule-service";

export async function messagesServer(t: Tap, env: Record<string, string> = {}): Promise<TestServer> {
  return startTestServer(t, { env: { CAPSTAN_MESSAGES_ENABLED: "true", ...env } });
}

export async function startDemo(t: Tap, s: TestServer): Promise<DemoService> {
  const op = await s.loginAs("operator");
  const { createDemoService } = await loadDemo();
  const demo = createDemoService({
    backendUrl: s.url, registrationToken: await createRegistrationToken(op), tokenFile: tokenFileIn(s.config.dataDir), logger: captureLogger().logger, ...FAST,
  });
  await demo.agent.start();
  t.teardown(() => demo.agent.stop());
  return demo;
}

/** A bearer client holding a fresh API token of the given scopes (created by a viewer: any role may send messages). */
export async function tokenClient(s: TestServer, scopes: string[], role: "viewer" | "operator" = "viewer"): Promise<Client> {
  const user = await s.loginAs(role, `${role}-${scopes.join("-")}`);
  const res = await user.post("/api/admin/api-tokens", { name: `t-${scopes.join("-")}`, scopes });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${res.text}`);
  return s.clientWith({ token: res.body.data.rawToken, userId: user.userId! });
}

export async function addRoute(op: Client, body: Record<string, unknown>): Promise<string> {
  const res = await op.post("/api/admin/message-routes", { target: { serviceCode: DEMO }, ...body });
  if (res.status !== 200) throw new Error(`route: ${res.status} ${res.text}`);
  return res.body.data.id as string;
}

export const auditActions = async (s: TestServer, targetId: string): Promise<string[]> =>
  (await s.db.all<{ action: string }>(`SELECT action FROM audit_events WHERE target_id = ? ORDER BY created_at, id`, [targetId])).map((r) => r.action);
