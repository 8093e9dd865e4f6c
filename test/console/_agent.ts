// The agent side of console tests, over real HTTP: register with a raw registration token, then
// answer commands the way the SDK would (poll, progress, result).
import type { Client, TestServer } from "../helpers.js";
import { reportedService } from "../fixtures.js";

export interface FakeAgent {
  agentId: string;
  serviceId: string;
  client: Client;
  /** Long-polls once and returns the first command (or throws). */
  next(waitSeconds?: number): Promise<{ id: string; type: string; actionName: string; payload: Record<string, unknown> }>;
  progress(commandId: string, body: object): Promise<void>;
  result(commandId: string, body: object): Promise<void>;
}

export async function enrol(s: TestServer, rawToken: string, opts: { code: string; serviceCode: string; actions: object[]; configs?: object[]; health?: object; name?: string; manifest?: Record<string, unknown> }): Promise<FakeAgent> {
  const svc = reportedService(opts.serviceCode, { actions: opts.actions, configs: opts.configs ?? [], ...(opts.health ? { health: opts.health } : {}), ...(opts.manifest ? { manifest: opts.manifest } : {}) });
  if (opts.name) Object.assign(svc, { name: opts.name });
  const res = await s.anon.post("/api/agents/register", {
    registrationToken: rawToken,
    agent: { code: opts.code, name: opts.name ?? `Agent ${opts.code}`, mode: "embedded", runtime: "nodejs", version: "1.2.3", hostname: "host-1", os: "linux", arch: "x64" },
    service: svc,
  });
  if (res.status !== 200) throw new Error(`register failed: ${res.status} ${res.text}`);
  const { agentId, agentToken, services } = res.body.data;
  const client = s.clientWith({ token: agentToken });
  const hb = await client.post(`/api/agents/${agentId}/heartbeat`, opts.health ? { health: opts.health } : {});
  if (hb.status !== 200) throw new Error(`heartbeat failed: ${hb.status} ${hb.text}`);
  return {
    agentId, serviceId: services[0].serviceId, client,
    async next(waitSeconds = 5) {
      const r = await client.get(`/api/agents/${agentId}/commands?limit=1&waitSeconds=${waitSeconds}`);
      if (r.status !== 200 || !r.body.data.length) throw new Error(`no command: ${r.status} ${r.text}`);
      return r.body.data[0];
    },
    async progress(commandId, body) {
      const r = await client.post(`/api/agents/${agentId}/commands/${commandId}/progress`, body);
      if (r.status !== 200) throw new Error(`progress failed: ${r.status} ${r.text}`);
    },
    async result(commandId, body) {
      const r = await client.post(`/api/agents/${agentId}/commands/${commandId}/result`, body);
      if (r.status !== 200) throw new Error(`result failed: ${r.status} ${r.text}`);
    },
  };
}
