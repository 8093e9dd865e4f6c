// Figure 6, footprint: cold start of the built server to its first 200 on /readyz (fresh data dir,
// which creates the schema, and a restart on an existing one) and idle RSS, each beside a bare
// node:http server started the same way in the same run; the SDK bundle size and the SDK's idle heap
// in a host process (bench/sdk-host.mjs). bench/sdk-idle.mjs is the minute-long leak check of the SDK.
// Run after `npm run build`: node bench/footprint.mjs   (BENCH_SMOKE=1 for a short run)
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { emitResult, SMOKE, verdict } from "./lib/report.mjs";
import { procStats } from "./lib/proc.mjs";
import { adminClient, ROOT, startBare, startCapstan } from "./lib/server.mjs";
import { mb, median, ms, num, sleep, table } from "./lib/stats.mjs";

const STARTS = SMOKE ? 2 : 7;
const IDLE_MS = SMOKE ? 1_000 : 10_000;

// Cold starts alternate bare / fresh / restart so drift on a shared machine hits all three alike.
const cold = { bare: [], fresh: [], restart: [] };
for (let i = 0; i < STARTS; i++) {
  const b = await startBare();
  cold.bare.push(b.readyMs);
  await b.stop();
  const dir = mkdtempSync(join(tmpdir(), "capstan-footprint-"));
  try {
    const fresh = await startCapstan({ dataDir: dir });
    cold.fresh.push(fresh.readyMs);
    await fresh.stop();
    const again = await startCapstan({ dataDir: dir });
    cold.restart.push(again.readyMs);
    await again.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Idle RSS: started, one readiness probe answered, then left alone.
const bare = await startBare();
const capstan = await startCapstan();
let idle;
let host;
try {
  await sleep(IDLE_MS);
  idle = { bare: procStats(bare.pid).rssBytes, capstan: procStats(capstan.pid).rssBytes };
  const admin = await adminClient(capstan.url);
  const reg = await admin("POST", "/api/admin/registration-tokens", { name: "footprint host" });
  const { stdout } = await promisify(execFile)(process.execPath, ["--expose-gc", join(ROOT, "bench/sdk-host.mjs"), capstan.url, reg.rawToken, SMOKE ? "1000" : "5000"]);
  host = JSON.parse(stdout);
} finally {
  await Promise.all([bare.stop(), capstan.stop()]);
}

const bundle = readFileSync(join(ROOT, "sdk/dist/index.mjs"));
const sdkHeap = host.heapAfter - host.heapBefore;
const coldFresh = median(cold.fresh);
const coldRestart = median(cold.restart);
const coldBare = median(cold.bare);

console.log(`footprint: median of ${STARTS} cold starts (spawn to first 200 on /readyz); idle RSS after ${IDLE_MS / 1000} s`);
console.log(table([
  ["", "bare node:http", "capstan (fresh data dir)", "capstan (restart)"],
  ["cold start p50", ms(coldBare), ms(coldFresh), ms(coldRestart)],
  ["cold start max", ms(Math.max(...cold.bare)), ms(Math.max(...cold.fresh)), ms(Math.max(...cold.restart))],
  ["idle RSS", mb(idle.bare), mb(idle.capstan), ""],
]));
console.log(`SDK bundle sdk/dist/index.mjs: ${num(bundle.length / 1024, 1)} KB, ${num(gzipSync(bundle).length / 1024, 1)} KB gzipped`);
console.log(`SDK in a host after start (${host.state}): heap +${num(sdkHeap / 1024)} KB (${mb(host.heapBefore)} -> ${mb(host.heapAfter)}), RSS +${mb(host.rssAfter - host.rssBefore)}`);
emitResult("footprint", [
  {
    name: "6. Cold start to /readyz (fresh / restart)", value: `${ms(coldFresh, 0)} / ${ms(coldRestart, 0)}`, baseline: `bare node:http ${ms(coldBare, 0)}`,
    ratio: Number((coldFresh / coldBare).toFixed(2)), target: "< 500 ms", met: verdict(coldFresh < 500 && coldRestart < 500),
  },
  {
    name: "6. Idle RSS", value: mb(idle.capstan), baseline: `bare node:http ${mb(idle.bare)}`,
    ratio: Number((idle.capstan / idle.bare).toFixed(2)), target: "< 80 MB", met: verdict(idle.capstan < 80 * 1024 * 1024),
  },
  {
    name: "6. SDK bundle / idle heap in a host", value: `${num(bundle.length / 1024, 1)} KB (${num(gzipSync(bundle).length / 1024, 1)} KB gz) / +${num(sdkHeap / 1024)} KB heap`,
    baseline: `host heap ${mb(host.heapBefore)}`, target: "(reported)", met: null,
  },
]);
