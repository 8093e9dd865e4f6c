// Runs the benchmarks one after another (each in its own process, so none inherits another's heap or
// JIT state) and prints a summary of every figure beside its same-run baseline and its target.
// Run after `npm run build`: npm run bench [-- names...]   e.g. `npm run bench -- footprint dispatch`
//   BENCH_SMOKE=1   short sizes (the whole suite in well under a minute; test/bench/smoke.test.ts)
//   --strict        exit 1 when a target is missed (default: report only; shared machines drift)
//   --json=FILE     also write every benchmark's result (or its failure) to FILE
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { RESULT_PREFIX, SMOKE } from "./lib/report.mjs";
import { ROOT } from "./lib/server.mjs";
import { table } from "./lib/stats.mjs";

/** name -> script and whether it imports TypeScript sources from src/ (then it runs through tsx). */
export const BENCHES = [
  { name: "footprint", script: "footprint.mjs" },
  { name: "sqlite-audit", script: "sqlite-audit.mjs", tsx: true },
  { name: "heartbeat-ingest", script: "heartbeat-ingest.mjs" },
  { name: "dispatch", script: "dispatch.mjs" },
  { name: "agents-held", script: "agents-held.mjs" },
  { name: "console", script: "console.mjs" },
  { name: "sdk-isolation", script: "sdk-isolation.mjs" },
  // starts its own throwaway PostgreSQL (scripts/pg-cluster.sh) unless CAPSTAN_BENCH_PG_URL is set
  { name: "pg-vs-sqlite", script: "pg-vs-sqlite.mjs" },
];

const args = process.argv.slice(2);
const strict = args.includes("--strict");
const jsonFile = args.find((a) => a.startsWith("--json="))?.slice("--json=".length);
const wanted = args.filter((a) => !a.startsWith("--"));
const unknown = wanted.filter((w) => !BENCHES.some((b) => b.name === w));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; choose from ${BENCHES.map((b) => b.name).join(", ")}`);
  process.exit(2);
}
const selected = wanted.length ? BENCHES.filter((b) => wanted.includes(b.name)) : BENCHES;

function runOne(bench) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...(bench.tsx ? ["--import", "tsx"] : []), join(ROOT, "bench", bench.script)], {
      cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], env: process.env,
    });
    let result;
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.startsWith(RESULT_PREFIX)) result = JSON.parse(line.slice(RESULT_PREFIX.length));
      else console.log(`  ${line}`);
    });
    child.on("close", (code) => resolve({ bench, code, result, seconds: (performance.now() - t0) / 1000 }));
  });
}

const cpu = cpus();
console.log(`Capstan benchmarks${SMOKE ? " (SMOKE: reduced sizes, targets not judged)" : ""}`);
console.log(`machine: ${cpu.length} x ${cpu[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}, ${process.platform}/${process.arch}`);
console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(" ")}\n`);

const runs = [];
for (const bench of selected) {
  console.log(`## ${bench.name}`);
  const r = await runOne(bench);
  console.log(`  (${r.seconds.toFixed(1)} s${r.code ? `, exit code ${r.code}` : ""})\n`);
  runs.push(r);
}

const mark = (met) => (met === true ? "met" : met === false ? "MISSED" : "-");
const rows = [["figure", "value", "same-run baseline", "ratio", "target", ""]];
for (const r of runs) {
  if (!r.result) {
    rows.push([`${r.bench.name}: FAILED (exit code ${r.code})`, "", "", "", "", ""]);
    continue;
  }
  for (const f of r.result.figures) rows.push([f.name, f.value, f.baseline, f.ratio ?? "", f.target, mark(f.met)]);
}
console.log("Summary");
console.log(table(rows));
console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);

if (jsonFile) {
  writeFileSync(jsonFile, JSON.stringify(runs.map((r) => ({ bench: r.bench.name, code: r.code, seconds: r.seconds, result: r.result ?? null })), null, 2));
}
const failed = runs.filter((r) => r.code !== 0 || !r.result);
const missed = runs.flatMap((r) => r.result?.figures ?? []).filter((f) => f.met === false);
if (failed.length) console.error(`failed: ${failed.map((r) => r.bench.name).join(", ")}`);
process.exitCode = failed.length || (strict && missed.length) ? 1 : 0;
