// Shared test fixtures: an agent registered over real HTTP with one reported service.
import type { Client, TestServer } from "./helpers.js";

let seq = 0;

export const DEFAULT_ACTIONS: object[] = [
  { name: "echo", label: "Echo", dangerLevel: "LOW", inputSchema: { type: "object", properties: { message: { type: "string" } } } },
];

/** A manifest that satisfies the server's checks, for the given code. */
export const manifestFor = (code: string, extra: Record<string, unknown> = {}) => ({
  kind: "CapsuleService", schemaVersion: "1.0", code, name: `Service ${code}`, version: "1.0.0", runtime: "nodejs", agentMode: "embedded", ...extra,
});

/** A ReportedService body for the given code. */
export const reportedService = (code: string, opts: { actions?: object[]; configs?: object[]; health?: object; manifest?: Record<string, unknown> } = {}) => ({
  code, name: `Service ${code}`, version: "1.0.0", runtime: "nodejs",
  manifest: manifestFor(code, opts.manifest),
  actions: opts.actions ?? DEFAULT_ACTIONS,
  configs: opts.configs ?? [],
  ...(opts.health ? { health: opts.health } : {}),
});

/** Creates a registration token via the admin API (as an operator client), returning the raw value. */
export async function createRegistrationToken(operator: Client, body: object = {}): Promise<string> {
  const res = await operator.post("/api/admin/registration-tokens", body);
  if (res.status !== 200) throw new Error(`creating a registration token failed: ${res.status} ${res.text}`);
  return res.body.data.rawToken as string;
}

/**
 * Creates a registration token via the admin API (as an operator client), registers an agent over HTTP and
 * reports one service with the given actions/configs. Returns what a test needs to act as that agent.
 */
export async function registerTestAgent(
  s: TestServer,
  opts: { code?: string; serviceCode?: string; actions?: object[]; configs?: object[]; health?: object } = {},
): Promise<{ agentId: string; agentToken: string; serviceId: string; serviceCode: string; agent: Client; operator: Client }> {
  seq++;
  const code = opts.code ?? `test-agent-${seq}`;
  const serviceCode = opts.serviceCode ?? `test-service-${seq}`;
  const operator = await s.loginAs("operator");
  const registrationToken = await createRegistrationToken(operator);
  const res = await s.anon.post("/api/agents/register", {
    registrationToken,
    agent: { code, name: `Agent ${code}`, mode: "embedded", runtime: "nodejs", version: "0.1.0", hostname: "test-host", os: "linux", arch: "x64" },
    service: reportedService(serviceCode, opts),
  });
  if (res.status !== 200) throw new Error(`registering ${code} failed: ${res.status} ${res.text}`);
  const { agentId, agentToken, services } = res.body.data as { agentId: string; agentToken: string; services: { code: string; serviceId: string }[] };
  const agent = s.clientWith({ token: agentToken });
  // The first heartbeat makes the agent ONLINE, as a running SDK would.
  const hb = await agent.post(`/api/agents/${agentId}/heartbeat`, {});
  if (hb.status !== 200) throw new Error(`first heartbeat of ${code} failed: ${hb.status} ${hb.text}`);
  return { agentId, agentToken, serviceId: services[0]!.serviceId, serviceCode, agent, operator };
}
