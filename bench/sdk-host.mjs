// A host process for figure 6: heap and RSS after a full GC before and after an SDK agent starts
// and settles, so the difference is the SDK's own idle footprint. Prints one JSON line.
// Run: node --expose-gc bench/sdk-host.mjs <backendUrl> <registrationToken> [settleMs=3000]
const [backendUrl, registrationToken, settle = "3000"] = process.argv.slice(2);
if (typeof globalThis.gc !== "function") throw new Error("run with --expose-gc");
const measure = () => {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
};

// The baseline is the same host having made one plain HTTP request (fetch and its pool loaded),
// so the difference is the SDK, not undici's first use.
await (await fetch(`${backendUrl}/healthz`)).text();
await new Promise((r) => setTimeout(r, 200));
const before = measure();
const { CapsuleAgent, MemoryTokenStore } = await import("../sdk/dist/index.mjs");
const agent = new CapsuleAgent({
  backendUrl, registrationToken, tokenStore: new MemoryTokenStore(), agent: { code: "footprint-host" },
  logger: { debug() {}, info() {}, warn() {}, error: console.error },
});
agent.health(() => ({ status: "UP" }));
agent.action({ name: "noop", label: "No-op", handler: () => ({ success: true }) });
await agent.start();
await new Promise((r) => setTimeout(r, Number(settle)));
const after = measure();
await agent.stop();
console.log(JSON.stringify({ heapBefore: before.heapUsed, heapAfter: after.heapUsed, rssBefore: before.rss, rssAfter: after.rss, state: agent.state }));
