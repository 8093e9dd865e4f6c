// Issue #16 point 1: the benchmarks' simulated agents must send what the SDK sends, or the figures
// measure traffic no real agent produces. The real SDK bundle (sdk/dist) and the lean clients
// (bench/lib/wire.mjs httpClient for registration, bench/lib/rawClient.mjs for the held fleet) talk to
// one recording server; for register, heartbeat with health, long poll, progress and result the test
// compares method, path, header names in order (and the user-agent) and the body's shape (keys and
// value types, recursively). A change on either side without the other fails here.
import t from "tap";
// @ts-expect-error plain ESM helpers without type declarations
import { heartbeatBody, httpClient, progressBody, registerFleet, resultBody, SDK_LONG_POLL_TIMEOUT_MS, SDK_POLL_QUERY, SDK_REQUEST_TIMEOUT_MS, SDK_USER_AGENT } from "../../bench/lib/wire.mjs";
// @ts-expect-error plain ESM helpers without type declarations
import { rawClient } from "../../bench/lib/rawClient.mjs";
import { longPollTimeoutMs } from "../../sdk/src/commandLoop.js";
import { resolveOptions } from "../../sdk/src/options.js";
import { loadSdk, waitFor } from "../sdk/sdkKit.js";
import { answer, scriptedAgentServer, type AgentRequestKind } from "../sdk/scriptedServer.js";

t.setTimeout(120_000);

type Kind = Exclude<AgentRequestKind, "other">;

/** Ids replaced by placeholders: the two sides register different agents. */
const normalise = (path: string) => path.replace(/agt_[\w-]+/g, ":agentId").replace(/cmd_[\w-]+/g, ":commandId");

/** Keys and value types, recursively; an array's shape is its first element's (arrays here are uniform). */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
  return v === null ? "null" : typeof v;
}

/** The agent with the action gets one command; every other poll is held a while, then empty. */
function recordingServer() {
  let served = false;
  return scriptedAgentServer((r, res) => {
    if (r.who === "sdk-worker" && !served) {
      served = true;
      return answer(res, [{ id: "cmd_shape", type: "ACTION_EXECUTE", actionName: "work", payload: {}, status: "RUNNING" }]);
    }
    setTimeout(() => answer(res, []), 1200).unref();
  });
}

t.test("the lean clients send the SDK's requests: method, path, header names in order, body shape", async (t) => {
  const rec = await recordingServer();
  t.teardown(() => rec.close());
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
    t.equal(normalise(mine.path), normalise(sdk.path), `${kind}: path (${normalise(sdk.path)})`);
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
