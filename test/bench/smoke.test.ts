// The benchmarks in smoke mode (BENCH_SMOKE=1: tiny sizes): every script still runs end to end against
// the built server and reports every figure, so the suite cannot rot. Targets are not judged here;
// the figures in docs/benchmarks.md come from full runs on a quiet machine.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { rootPath } from "../../src/paths.js";

interface Figure { name: string; value: string; baseline: string; ratio?: number; target: string; met: boolean | null }
interface Run { bench: string; code: number; seconds: number; result: { smoke: boolean; figures: Figure[] } | null }

const root = rootPath();
// the whole file, not only the subtest: every benchmark spawns servers, and tap's 120 s per-file limit
// killed it on a loaded 2-core machine; pg-vs-sqlite also starts a PostgreSQL cluster
t.setTimeout(600_000);

t.test("every benchmark runs in smoke mode and reports its figures", async (t) => {
  t.setTimeout(600_000);
  if (!existsSync(join(root, "dist/capstan.js")) || !existsSync(join(root, "sdk/dist/index.mjs"))) {
    const build = spawnSync(process.execPath, [join(root, "scripts/build.mjs")], { cwd: root, encoding: "utf8" });
    t.equal(build.status, 0, `build: ${build.stderr}`);
  }
  const jsonFile = join(t.testdir(), "results.json");
  const run = spawnSync(process.execPath, [join(root, "bench/run.mjs"), `--json=${jsonFile}`], {
    // pg-vs-sqlite's throwaway cluster in a state dir of this run's own, so parallel runs never stop each other's
    cwd: root, encoding: "utf8", env: { ...process.env, BENCH_SMOKE: "1", CAPSTAN_PG_STATE: `/tmp/pg-bench-smoke-${process.pid}` }, timeout: 580_000,
  });
  t.equal(run.status, 0, `bench/run.mjs exit code (stderr: ${run.stderr.slice(-2000)})`);
  t.match(run.stdout, /Summary/);

  const runs: Run[] = JSON.parse(readFileSync(jsonFile, "utf8"));
  t.same(runs.map((r) => r.bench), ["footprint", "sqlite-audit", "heartbeat-ingest", "dispatch", "agents-held", "console", "sdk-isolation", "pg-vs-sqlite"]);
  const expected: Record<string, string[]> = {
    footprint: ["6. Cold start", "6. Idle RSS", "6. SDK bundle"],
    "sqlite-audit": ["7. Audit writes vs raw SQLite inserts, 1 per txn", "7. Audit writes vs raw inserts, batched"],
    "heartbeat-ingest": ["1. Heartbeat ingest", "1. Heartbeat ingest: server CPU"],
    dispatch: ["3. Dispatch latency", "4. Round trip"],
    "agents-held": ["2. Agents held (200): server RSS", "2. Agents held (200): heartbeat p99", "2. Agents held (200): server CPU"],
    console: ["5. Console at scale"],
    "sdk-isolation": ["ISO-1. Isolated run, warm pool", "ISO-2. Isolated run, cold Worker"],
    "pg-vs-sqlite": [
      "PG-1. Heartbeat ingest (SDK body)", "PG-1. Heartbeat CPU per request", "PG-2. Heartbeat ingest", "PG-2. Heartbeat CPU per request",
      "PG-3. Dispatch execute -> handler", "PG-3. Dispatch across nodes", "PG-4. ",
    ],
  };
  for (const r of runs) {
    t.equal(r.code, 0, `${r.bench} exit code`);
    t.ok(r.result?.smoke, `${r.bench} ran in smoke mode`);
    const figures = r.result?.figures ?? [];
    const longestPrefix = (name: string) => expected[r.bench]!.filter((p) => name.startsWith(p)).sort((a, b) => b.length - a.length)[0];
    t.same(figures.map((f) => longestPrefix(f.name)), expected[r.bench], `${r.bench} figures`);
    for (const f of figures) {
      // a figure that could not be measured shows as n/a or NaN: that is rot, whatever the machine load
      t.notMatch(`${f.value} ${f.baseline} ${f.ratio ?? ""}`, /(^|\s)n\/a(\s|$)|NaN|Infinity|undefined/, `${f.name} is measured`);
      t.equal(f.met, null, `${f.name}: targets are not judged in smoke mode`);
      if (f.ratio !== undefined) t.ok(f.ratio > 0, `${f.name} ratio ${f.ratio} is positive`);
    }
  }
});
