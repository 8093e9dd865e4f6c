// Issue #16 point 1: the benchmarks' simulated agents must send what the SDK sends, or the figures
// measure traffic no real agent produces. The real SDK bundle (sdk/dist) and the lean clients
// (bench/lib/wire.mjs httpClient for registration, bench/lib/rawClient.mjs for the held fleet) talk to
// one recording server; for register, heartbeat with health, long poll, progress and result the test
// compares method, path, header names in order (and the user-agent) and the body's shape (keys and
// value types, recursively). A change on either side without the other fails here.
import t from "tap";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
// @ts-expect-error plain ESM helpers without type declarations
import { heartbeatBody, httpClient, progressBody, registerFleet, resultBody, SDK_LONG_POLL_TIMEOUT_MS, SDK_POLL_QUERY, SDK_REQUEST_TIMEOUT_MS, SDK_USER_AGENT } from "../../bench/lib/wire.mjs";
// @ts-expect-error plain ESM helpers without type declarations
import { rawClient } from "../../bench/lib/rawClient.mjs";
import { longPollTimeoutMs } from "../../sdk/src/commandLoop.js";
import { resolveOptions } from "../../sdk/src/options.js";
import { loadSdk, waitFor } from "../sdk/sdkKit.js";

t.setTimeout(120_000);

type Kind = "register" | "heartbeat" | "poll" | "progress" | "result";
interface Seen { who: string; kind: Kind | "other"; method: string; path: string; headers: string[]; userAgent: string; body: unknown }

const kindOf = (method: string, path: string): Kind | "other" =>
  path === "/api/agents/register" ? "register"
    : /\/heartbeat$/.test(path) ? "heartbeat"
      : method === "GET" && /\/commands(\?|$)/.test(path) ? "poll"
        : /\/progress$/.test(path) ? "progress"
          : /\/result$/.test(path) ? "result" : "other";

/** Ids replaced by placeholders: the two sides register different agents. */
const normalise = (path: string) => path.replace(/agt_[\w-]+/g, ":agentId").replace(/cmd_[\w-]+/g, ":commandId");

/** Keys and value types, recursively; an array's shape is its first element's (arrays here are uniform). */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
  return v === null ? "null" : typeof v;
}

/** A server that answers the agent protocol just enough and records every request. */
async function recordingServer() {
  const seen: Seen[] = [];
  let served = false;
  const answer = (res: ServerResponse, data: unknown) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ success: true, data }));
  };
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString();
      const body = text ? JSON.parse(text) : undefined;
      const path = req.url!;
      const kind = kindOf(req.method!, path);
      const who = kind === "register" ? String(body?.agent?.code) : (/agt_([\w-]+)/.exec(path)?.[1] ?? "?");
      const names = req.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      seen.push({ who, kind, method: req.method!, path: normalise(path), headers: names, userAgent: String(req.headers["user-agent"]), body });
      switch (kind) {
        case "register": {
          const code = String(body.agent.code);
          return answer(res, { agentId: `agt_${code}`, agentToken: `tok_${code}`, heartbeatIntervalSeconds: 30, commandPollIntervalSeconds: 5, services: [{ code: body.service.code, serviceId: `svc_${code}` }] });
        }
        case "heartbeat":
          return answer(res, { heartbeatIntervalSeconds: 30, commandPollIntervalSeconds: 5 });
        case "poll":
          // the agent with the action gets one command; every other poll is held a while, then empty
          if (who === "sdk-worker" && !served) {
            served = true;
            return answer(res, [{ id: "cmd_shape", type: "ACTION_EXECUTE", actionName: "work", payload: {}, status: "RUNNING" }]);
          }
          return void setTimeout(() => answer(res, []), 1200).unref();
        case "progress":
          return answer(res, { cancelRequested: false });
        default:
          return answer(res, kind === "result" ? {} : { services: [] });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { seen, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

t.test("the lean clients send the SDK's requests: method, path, header names in order, body shape", async (t) => {
  const rec = await recordingServer();
  t.teardown(() => { rec.server.closeAllConnections(); rec.server.close(); });
  const { CapsuleAgent, MemoryTokenStore } = await loadSdk();
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };

  // the SDK: one agent as the fleet's agents are (no actions), one that runs a command with progress
  const idle = new CapsuleAgent({ backendUrl: rec.url, registrationToken: "reg_tok", tokenStore: new MemoryTokenStore(), agent: { code: "sdk-idle" }, logger: quiet });
  const worker = new CapsuleAgent({
    backendUrl: rec.url, registrationToken: "reg_tok", tokenStore: new MemoryTokenStore(), agent: { code: "sdk-worker" }, logger: quiet, progressIntervalMs: 50,
  });
  worker.action({
    name: "work", label: "Work",
    handler: async (_payload, ctx) => {
      ctx.progress(0.5, "working");
      ctx.log("info", "working");
      await new Promise((r) => setTimeout(r, 300));
      return { success: true };
    },
  });
  await idle.start();
  await worker.start();
  t.teardown(() => Promise.all([idle.stop(), worker.stop()]));
  const sdkSaw = (who: string, kind: Kind) => rec.seen.find((s) => s.who === who && s.kind === kind);
  await waitFor(() => sdkSaw("sdk-idle", "heartbeat") && sdkSaw("sdk-idle", "poll") && sdkSaw("sdk-worker", "progress") && sdkSaw("sdk-worker", "result"), 15_000, "the SDK's requests");

  // the lean clients, as bench/lib/wire.mjs registerFleet and bench/fleet-worker.mjs send them
  const admin = async () => ({ rawToken: "reg_tok" });
  const [cred] = await registerFleet(rec.url, admin, 1, { prefix: "lean" });
  const raw = rawClient(rec.url, { maxSockets: 4 });
  t.teardown(() => raw.close());
  const opts = { token: cred.agentToken };
  await raw("POST", `/api/agents/${cred.agentId}/heartbeat`, { ...opts, body: heartbeatBody(cred) });
  await raw("GET", `/api/agents/${cred.agentId}/commands?${SDK_POLL_QUERY}`, opts);
  await raw("POST", `/api/agents/${cred.agentId}/commands/cmd_lean/progress`, { ...opts, body: progressBody() });
  await raw("POST", `/api/agents/${cred.agentId}/commands/cmd_lean/result`, { ...opts, body: resultBody() });
  // registration also through httpClient with a body: its headers must match too
  const lean = httpClient(rec.url);
  t.teardown(() => lean.close());
  await lean("POST", `/api/agents/${cred.agentId}/heartbeat`, { ...opts, body: heartbeatBody(cred) });

  const pairs: [Kind, string][] = [["register", "sdk-idle"], ["heartbeat", "sdk-idle"], ["poll", "sdk-idle"], ["progress", "sdk-worker"], ["result", "sdk-worker"]];
  for (const [kind, sdkWho] of pairs) {
    const sdk = sdkSaw(sdkWho, kind)!;
    const mine = rec.seen.find((s) => s.who.startsWith("lean") && s.kind === kind)!;
    t.ok(mine, `the lean client sent a ${kind}`);
    t.equal(mine.method, sdk.method, `${kind}: method`);
    t.equal(mine.path, sdk.path, `${kind}: path (${sdk.path})`);
    t.same(mine.headers, sdk.headers, `${kind}: header names in order (${sdk.headers.join(", ")})`);
    t.equal(mine.userAgent, sdk.userAgent, `${kind}: user-agent`);
    t.same(shape(mine.body), shape(sdk.body), `${kind}: body shape`);
  }
  t.equal(rec.seen.find((s) => s.who.startsWith("lean") && s.kind === "register")!.userAgent, SDK_USER_AGENT);
  const leanHeartbeats = rec.seen.filter((s) => s.who.startsWith("lean") && s.kind === "heartbeat");
  t.equal(leanHeartbeats.length, 2);
  t.same(leanHeartbeats[1]!.headers, leanHeartbeats[0]!.headers, "httpClient and rawClient send the same header names in order");
  // the health on every heartbeat is the SDK's snapshot, not just the same keys
  t.same((sdkSaw("sdk-idle", "heartbeat")!.body as { health: unknown }).health, (leanHeartbeats[0]!.body as { health: unknown }).health);
});

t.test("the lean clients give up when the SDK does: request and long-poll timeouts", async (t) => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const defaults = resolveOptions({ agent: { code: "timeouts" }, tokenStore: { load: async () => null, save: async () => {}, clear: async () => {} } } as never, quiet);
  t.equal(SDK_REQUEST_TIMEOUT_MS, defaults.requestTimeoutMs, "requestTimeoutMs");
  t.equal(SDK_POLL_QUERY, `limit=${defaults.concurrency}&waitSeconds=${defaults.longPollSeconds}`, "the poll query's defaults");
  t.equal(SDK_LONG_POLL_TIMEOUT_MS, longPollTimeoutMs(defaults.longPollSeconds, defaults.requestTimeoutMs), "the long poll's timeout");
});
