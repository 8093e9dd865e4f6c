// Shared setup for the command engine tests: a registered agent whose service declares a known set of
// actions, and small wrappers for the calls every test makes.
import { registerTestAgent } from "./fixtures.js";
import { startTestServer, type ApiResponse, type Client, type Tap, type TestServer } from "./helpers.js";

export const ACTIONS = [
  {
    name: "echo", label: "Echo", dangerLevel: "LOW",
    inputSchema: {
      type: "object",
      properties: {
        message: { type: "string", minLength: 1, maxLength: 100, format: "textarea" },
        times: { type: "integer", minimum: 1, maximum: 5, default: 1 },
        mode: { type: "string", enum: ["plain", "loud"] },
      },
      required: ["message"],
      additionalProperties: false,
    },
  },
  { name: "confirmMe", label: "Confirm me", dangerLevel: "MEDIUM", requiresConfirmation: true },
  { name: "restart", label: "Restart", dangerLevel: "HIGH" },
  { name: "nuke", label: "Nuke", dangerLevel: "CRITICAL" },
  { name: "paused", label: "Paused", dangerLevel: "LOW" },
  {
    name: "login", label: "Log in somewhere", dangerLevel: "LOW",
    inputSchema: {
      type: "object",
      properties: {
        user: { type: "string" },
        password: { type: "string", format: "password" },
        nested: { type: "object", properties: { pin: { type: "string", writeOnly: true } } },
      },
      required: ["user", "password"],
    },
  },
  { name: "rotateKey", label: "Rotate key", dangerLevel: "LOW" },
  { name: "slow", label: "Slow", dangerLevel: "LOW", timeoutSeconds: 10 },
];

export interface Kit {
  s: TestServer;
  agentId: string;
  serviceId: string;
  agent: Client;
  operator: Client;
  execute(name: string, body?: unknown): Promise<ApiResponse>;
  poll(query?: string): Promise<ApiResponse>;
  result(commandId: string, body: unknown): Promise<ApiResponse>;
  progress(commandId: string, body: unknown): Promise<ApiResponse>;
  /** Execute + poll: a command the agent now holds as RUNNING. */
  running(name: string, body?: unknown): Promise<string>;
  audit(action: string, targetId?: string): Promise<{ action: string; result: string; metadata_json: string | null; actor_type: string }[]>;
}

export async function kit(t: Tap, opts: { env?: Record<string, string>; now?: () => Date } = {}): Promise<Kit> {
  const s = await startTestServer(t, opts);
  const reg = await registerTestAgent(s, { actions: ACTIONS });
  // ActionDefinitionInput has no `enabled`; an action the service disabled is set up directly
  await s.db.run(`UPDATE action_definitions SET enabled = 0 WHERE service_id = ? AND name = 'paused'`, [reg.serviceId]);
  const base = `/api/agents/${reg.agentId}/commands`;
  const k: Kit = {
    s, agentId: reg.agentId, serviceId: reg.serviceId, agent: reg.agent, operator: reg.operator,
    execute: (name, body = {}) => reg.operator.post(`/api/admin/capsule-services/${reg.serviceId}/actions/${name}`, body),
    poll: (query = "") => reg.agent.get(`${base}${query}`),
    result: (id, body) => reg.agent.post(`${base}/${id}/result`, body),
    progress: (id, body) => reg.agent.post(`${base}/${id}/progress`, body),
    running: async (name, body = {}) => {
      const created = await k.execute(name, body);
      if (created.status !== 200) throw new Error(`execute ${name}: ${created.status} ${created.text}`);
      const polled = await k.poll();
      const id = created.body.data.id as string;
      if (!polled.body.data.some((c: { id: string }) => c.id === id)) throw new Error(`poll did not return ${id}`);
      return id;
    },
    audit: async (action, targetId) =>
      ((await s.db.all(`SELECT action, result, metadata_json, actor_type FROM audit_events WHERE action = ? AND (CAST(? AS TEXT) IS NULL OR target_id = ?) ORDER BY id`, [action, targetId ?? null, targetId ?? null])) as Awaited<ReturnType<Kit["audit"]>>),
  };
  return k;
}

/** A clock tests can move forward; starts at real time so tokens and sessions behave normally. */
export function manualClock(): { now: () => Date; advance(seconds: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (seconds) => { offset += seconds * 1000; } };
}
