// A lean agent-protocol client over node:http with keep-alive: what the simulated agents speak.
// It is deliberately not the SDK (measured on its own), so thousands of agents fit in a few processes.
import { Agent, request } from "node:http";

/**
 * A request function bound to one base URL and one connection pool. `maxSockets: Infinity` suits
 * long polls (each parked poll holds its socket); a small pool suits heartbeats.
 */
export function httpClient(base, { maxSockets = 64 } = {}) {
  const { hostname, port } = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets, scheduling: "fifo" });
  const call = (method, path, { token, body, signal } = {}) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = { accept: "application/json" };
      if (token) headers.authorization = `Bearer ${token}`;
      if (payload !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = Buffer.byteLength(payload);
      }
      const t0 = performance.now();
      const req = request({ agent, hostname, port, method, path, headers, signal }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, ms: performance.now() - t0 });
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(payload);
    });
  call.close = () => agent.destroy();
  return call;
}

/** The largest maxUses a registration token may carry (schemas/registrationTokens.ts). */
const MAX_USES = 10_000;

/**
 * Registers `count` agents through the real API: registration tokens with maxUses and a one-hour
 * expiry (the fleet recipe), then POST /api/agents/register per agent, `concurrency` at a time.
 */
export async function registerFleet(base, admin, count, { prefix = "bench-agent", concurrency = 8 } = {}) {
  const call = httpClient(base, { maxSockets: concurrency });
  const creds = new Array(count);
  try {
    for (let start = 0; start < count; start += MAX_USES) {
      const uses = Math.min(MAX_USES, count - start);
      const token = await admin("POST", "/api/admin/registration-tokens", { name: `${prefix} fleet ${start}`, maxUses: uses, expiresInSeconds: 3600 });
      let next = start;
      const worker = async () => {
        while (next < start + uses) {
          const i = next++;
          const res = await call("POST", "/api/agents/register", {
            body: { registrationToken: token.rawToken, agent: { code: `${prefix}-${i}`, mode: "embedded", runtime: "bench" } },
          });
          if (res.status !== 200) throw new Error(`register ${prefix}-${i}: ${res.status} ${JSON.stringify(res.json?.error)}`);
          creds[i] = { agentId: res.json.data.agentId, agentToken: res.json.data.agentToken };
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    }
  } finally {
    call.close();
  }
  return creds;
}
