// A lean agent-protocol client over node:http with keep-alive: what the simulated agents speak.
// It is deliberately not the SDK (measured on its own), so thousands of agents fit in a few processes,
// but it sends what the SDK sends (sdk/src/registration.ts, heartbeat.ts, commandLoop.ts, http.ts):
// registration with the agent's one service, health on every heartbeat, the SDK's poll query and
// user-agent. Replaying `{}` heartbeats would skip the health write every real heartbeat costs.
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { arch, platform } from "node:os";

const SDK_VERSION = JSON.parse(readFileSync(new URL("../../sdk/package.json", import.meta.url), "utf8")).version;
/** The SDK's user-agent (sdk/src/http.ts). */
export const SDK_USER_AGENT = `capstan-agent/${SDK_VERSION}`;
/** What the SDK reports when the host registered no health check (sdk/src/health.ts). */
export const SDK_HEALTH = Object.freeze({ status: "UP", message: "process alive (no health check registered)" });
/** The SDK's heartbeat body (sdk/src/heartbeat.ts): its service id and the health snapshot. */
export const heartbeatBody = (cred) => (cred.serviceId ? { serviceId: cred.serviceId, health: SDK_HEALTH } : { health: SDK_HEALTH });
/** The SDK's command poll with its defaults: concurrency 1, longPollSeconds 25 (sdk/src/options.ts). */
export const SDK_POLL_QUERY = "limit=1&waitSeconds=25";
/** The SDK's default requestTimeoutMs (sdk/src/options.ts). */
export const SDK_REQUEST_TIMEOUT_MS = 10_000;
/** The SDK's timeout for that long poll (sdk/src/commandLoop.ts longPollTimeoutMs): 25 s + max(10 s, 30 s). */
export const SDK_LONG_POLL_TIMEOUT_MS = 25_000 + Math.max(SDK_REQUEST_TIMEOUT_MS, 30_000);

/**
 * The SDK's result body (sdk/src/executor.ts): the handler's result plus its run's times and trace.
 * A result without them would skip the metrics the server validates and stores with every SDK result.
 */
export const resultBody = (startedAt = new Date().toISOString(), finishedAt = startedAt) => ({
  success: true, startedAt, finishedAt, metrics: { attempts: 1, durationMs: 0.1, cpuUserMs: 0.1, cpuSystemMs: 0 },
});

/** The SDK's progress body (sdk/src/progress.ts) with percent, message and one log line. */
export const progressBody = (message = "working") => ({
  percent: 0.5, message, logs: [{ at: new Date().toISOString(), level: "info", message }],
});

/**
 * The SDK's request headers, names and order as its fetch (undici) writes them: the SDK's own four
 * (sdk/src/http.ts) between undici's host/connection and its accept-language, sec-fetch-mode and
 * accept-encoding; content-length last. Both lean clients send exactly these (test/bench/sdkShapes.test.ts).
 */
export function sdkHeaders(host, { token, payloadBytes } = {}) {
  const h = [["host", host], ["connection", "keep-alive"], ["accept", "application/json"], ["user-agent", SDK_USER_AGENT]];
  if (token) h.push(["authorization", `Bearer ${token}`]);
  if (payloadBytes !== undefined) h.push(["content-type", "application/json"]);
  h.push(["accept-language", "*"], ["sec-fetch-mode", "cors"], ["accept-encoding", "gzip, deflate"]);
  if (payloadBytes !== undefined) h.push(["content-length", String(payloadBytes)]);
  return h;
}

/** The ReportedService the SDK registers for an agent without configs or actions (sdk/src/manifest.ts). */
function sdkService(code) {
  const version = "0.0.0";
  return {
    code, name: code, version, runtime: "nodejs",
    manifest: { kind: "CapsuleService", schemaVersion: "1.0", code, name: code, version, runtime: "nodejs", agentMode: "embedded" },
    health: SDK_HEALTH, configs: [], actions: [],
  };
}

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
      const headers = Object.fromEntries(sdkHeaders(`${hostname}:${port}`, { token, payloadBytes: payload === undefined ? undefined : Buffer.byteLength(payload) }));
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
 * expiry (the fleet recipe), then POST /api/agents/register per agent with the SDK's body (the agent
 * and its one service), `concurrency` at a time. `urls` spreads the registrations over several nodes.
 * Returns [{ agentId, agentToken, serviceId }].
 */
export async function registerFleet(base, admin, count, { prefix = "bench-agent", concurrency = 8, urls = [base] } = {}) {
  const calls = urls.map((u) => httpClient(u, { maxSockets: concurrency }));
  const creds = new Array(count);
  try {
    for (let start = 0; start < count; start += MAX_USES) {
      const uses = Math.min(MAX_USES, count - start);
      const token = await admin("POST", "/api/admin/registration-tokens", { name: `${prefix} fleet ${start}`, maxUses: uses, expiresInSeconds: 3600 });
      let next = start;
      const worker = async () => {
        while (next < start + uses) {
          const i = next++;
          const code = `${prefix}-${i}`;
          const res = await calls[i % calls.length]("POST", "/api/agents/register", {
            body: {
              registrationToken: token.rawToken,
              agent: { code, mode: "embedded", runtime: "nodejs", version: SDK_VERSION, hostname: "bench", os: platform(), arch: arch() },
              service: sdkService(code),
            },
          });
          if (res.status !== 200) throw new Error(`register ${code}: ${res.status} ${JSON.stringify(res.json?.error)}`);
          const { agentId, agentToken, services } = res.json.data;
          creds[i] = { agentId, agentToken, serviceId: services?.find((s) => s.code === code)?.serviceId };
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    }
  } finally {
    for (const c of calls) c.close();
  }
  return creds;
}

/**
 * The SDK's first contact for each agent: one heartbeat (agent j on urls[j % n]) makes it ONLINE and
 * writes its sampled heartbeat audit, so a load window that follows sees the steady state.
 */
export async function firstContact(urls, creds, { concurrency = 8 } = {}) {
  const calls = urls.map((u) => httpClient(u, { maxSockets: concurrency }));
  try {
    for (let j = 0; j < creds.length; j += concurrency) {
      await Promise.all(creds.slice(j, j + concurrency).map(async (c, k) => {
        const res = await calls[(j + k) % calls.length]("POST", `/api/agents/${c.agentId}/heartbeat`, { token: c.agentToken, body: heartbeatBody(c) });
        if (res.status !== 200) throw new Error(`first heartbeat: ${res.status} ${JSON.stringify(res.json?.error)}`);
      }));
    }
  } finally {
    for (const c of calls) c.close();
  }
}
