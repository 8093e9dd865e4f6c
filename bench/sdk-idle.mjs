// Idle cost of the SDK in its host: heap after GC and CPU time over a minute of heartbeats and long
// polls with no commands. The server heartbeat interval is 1 s here (default 30 s) so the minute
// exercises ~60 heartbeat cycles; leaks would show as steady growth across the samples.
// A baseline minute of one plain fetch a second comes first, as the noise reference.
// Run after `npm run build`: node bench/sdk-idle.mjs   (SECONDS=60 to change the duration)
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

if (typeof globalThis.gc !== "function") {
  // Heap figures are only meaningful right after a full GC: re-run with --expose-gc.
  const r = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

const { launchServer } = await import("../demo/launch.mjs");
const { CapsuleAgent, MemoryTokenStore } = await import("../sdk/dist/index.mjs");
const SECONDS = Number(process.env.SECONDS ?? 60);
const mb = (b) => (b / 1024 / 1024).toFixed(2);
const heap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};

/** Heap samples every 10 s while `tick` runs; returns the samples and the growth in bytes. */
async function observe(seconds) {
  const start = heap();
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const samples = [];
  for (let s = 10; s <= seconds; s += 10) {
    await new Promise((r) => setTimeout(r, 10_000));
    samples.push({ atSeconds: s, heapMb: mb(heap()) });
  }
  const cpu = process.cpuUsage(cpu0);
  return { start, samples, growth: heap() - start, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: Date.now() - t0 };
}

const server = await launchServer({ env: { CAPSTAN_HEARTBEAT_INTERVAL_SECONDS: "1", CAPSTAN_AGENT_OFFLINE_THRESHOLD_SECONDS: "10" } });
try {
  // Noise reference: the same host doing one plain fetch a second (what any HTTP client costs).
  let baselineOn = true;
  const baselineLoop = (async () => {
    while (baselineOn) {
      await (await fetch(`${server.url}/api/system/health`)).text();
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  await new Promise((r) => setTimeout(r, 5_000));
  const baseline = await observe(SECONDS);
  baselineOn = false;
  await baselineLoop;

  const beforeSdk = heap();
  const reg = await server.admin("POST", "/api/admin/registration-tokens", { name: "idle bench" });
  let heartbeats = 0;
  const countingFetch = (url, init) => {
    if (String(url).endsWith("/heartbeat")) heartbeats++;
    return fetch(url, init);
  };
  const agent = new CapsuleAgent({
    backendUrl: server.url, registrationToken: reg.rawToken, tokenStore: new MemoryTokenStore(), fetch: countingFetch,
    agent: { code: "idle-bench" }, logger: { debug() {}, info() {}, warn: console.warn, error: console.error },
  });
  agent.health(() => ({ status: "UP", message: "idle" }));
  agent.action({ name: "noop", label: "No-op", handler: () => ({ success: true }) });
  await agent.start();
  await new Promise((r) => setTimeout(r, 5_000)); // warm-up: connections, JIT
  const idle = await observe(SECONDS);
  await agent.stop();
  console.log(`node ${process.version}, ${process.platform}/${process.arch}; ${heartbeats} heartbeats, state after stop: ${agent.state}`);
  console.log(`SDK footprint after start + warm-up: ${((idle.start - beforeSdk) / 1024).toFixed(0)} KB`);
  console.log("                     " + idle.samples.map((s) => `t+${s.atSeconds}s`.padStart(8)).join(""));
  console.log("baseline fetch/s  MB " + baseline.samples.map((s) => s.heapMb.padStart(8)).join(""));
  console.log("SDK idle          MB " + idle.samples.map((s) => s.heapMb.padStart(8)).join(""));
  const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
  console.log(`heap growth over ${SECONDS} s: baseline ${kb(baseline.growth)}, SDK idle ${kb(idle.growth)}`);
  console.log(`CPU over ${SECONDS} s: baseline ${baseline.cpuMs.toFixed(0)} ms, SDK idle ${idle.cpuMs.toFixed(0)} ms (${(idle.cpuMs / idle.wallMs * 100).toFixed(2)} % of one core)`);
} finally {
  await server.stop();
}
