// Command delivery latency of the Python SDK (sdk-python), measured like bench/sdk-dispatch.mjs does for
// the Node SDK: from the operator's execute request to the handler starting, long poll and interval poll.
// Run after `npm run build`: node bench/sdk-dispatch-python.mjs   (RUNS=50 RUNS_POLL=12, PYTHON=python3)
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchServer } from "../demo/launch.mjs";
import { printDispatchTable } from "./lib/report.mjs";

const RUNS = Number(process.env.RUNS ?? 50);
const RUNS_POLL = Number(process.env.RUNS_POLL ?? 12);
const PYTHON = process.env.PYTHON ?? "python3";
const script = join(dirname(fileURLToPath(import.meta.url)), "sdk_dispatch.py");

const server = await launchServer();
try {
  const api = await server.admin("POST", "/api/admin/api-tokens", { name: "python bench" });
  const rows = [];
  for (const [longPoll, runs] of [[true, RUNS], [false, RUNS_POLL]]) {
    const reg = await server.admin("POST", "/api/admin/registration-tokens", { name: `python bench ${longPoll}` });
    // spawnSync is fine here: the server is its own process.
    const r = spawnSync(PYTHON, [script], {
      encoding: "utf8", stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, BENCH_URL: server.url, BENCH_API_TOKEN: api.rawToken, BENCH_REG_TOKEN: reg.rawToken, BENCH_LONG_POLL: longPoll ? "1" : "0", BENCH_RUNS: String(runs) },
    });
    if (r.status !== 0) throw new Error(`${PYTHON} ${script} exited with ${r.status}`);
    rows.push({ mode: longPoll ? "long poll (waitSeconds=25)" : "interval poll (5 s)", ...JSON.parse(r.stdout.trim().split("\n").at(-1)) });
  }
  printDispatchTable(spawnSync(PYTHON, ["--version"], { encoding: "utf8" }).stdout.trim(), rows);
} finally {
  await server.stop();
}
