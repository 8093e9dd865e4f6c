// Shared setup for the bus tests: a server with the bus on, a publishing agent and a target agent
// whose service declares actions of every danger level.
import { registerTestAgent } from "../fixtures.js";
import { startTestServer, type ApiResponse, type Client, type Tap, type TestServer } from "../helpers.js";

export const TARGET_ACTIONS = [
  {
    name: "echo", label: "Echo", dangerLevel: "LOW",
    inputSchema: { type: "object", properties: { message: { type: "string", minLength: 1 } }, required: ["message"] },
  },
  { name: "restart", label: "Restart", dangerLevel: "HIGH" },
  { name: "confirmMe", label: "Confirm me", dangerLevel: "LOW", requiresConfirmation: true },
];

export interface BusKit {
  s: TestServer;
  operator: Client;
  viewer: Client;
  source: { agentId: string; serviceCode: string; agent: Client };
  target: { agentId: string; serviceId: string; serviceCode: string; agent: Client };
  publish(body: unknown, as?: { agentId: string; agent: Client }): Promise<ApiResponse>;
  createRoute(body: Record<string, unknown>): Promise<ApiResponse>;
  /** Audit rows (newest last) for an action. */
  audit(action: string): Promise<{ action: string; result: string; actor_type: string; actor_id: string | null; target_id: string | null; metadata: any }[]>;
  commandCount(): Promise<number>;
}

export async function busKit(t: Tap, env: Record<string, string> = {}): Promise<BusKit> {
  const s = await startTestServer(t, { env: { CAPSTAN_BUS_ENABLED: "true", ...env } });
  const src = await registerTestAgent(s, { code: "shop-agent", serviceCode: "shop", actions: [] });
  const tgt = await registerTestAgent(s, { code: "mailer-agent", serviceCode: "mailer", actions: TARGET_ACTIONS });
  const viewer = await s.loginAs("viewer");
  const k: BusKit = {
    s, operator: tgt.operator, viewer,
    source: { agentId: src.agentId, serviceCode: "shop", agent: src.agent },
    target: { agentId: tgt.agentId, serviceId: tgt.serviceId, serviceCode: "mailer", agent: tgt.agent },
    publish: (body, as = k.source) => as.agent.post(`/api/agents/${as.agentId}/bus/events`, body),
    createRoute: (body) => tgt.operator.post("/api/admin/bus/routes", body),
    audit: async (action) =>
      (await s.db.all<any>(`SELECT action, result, actor_type, actor_id, target_id, metadata_json FROM audit_events WHERE action = ? ORDER BY id`, [action]))
        .map((r) => ({ ...r, metadata: r.metadata_json ? JSON.parse(r.metadata_json) : null })),
    commandCount: async () => (await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM commands`))!.n,
  };
  return k;
}

/** The README's example route, pointed at the kit's services. */
export const echoRoute = (k: BusKit, extra: Record<string, unknown> = {}) => ({
  name: "Echo new items",
  status: "ENABLED",
  trigger: { eventType: "shop.item.created", sourceServiceCode: k.source.serviceCode },
  action: { targetServiceCode: k.target.serviceCode, actionName: "echo", payloadTemplate: { message: "{{event.data.name}}" } },
  ...extra,
});
