// How a benchmark hands its figures to bench/run.mjs: human-readable lines on stdout, then one
// machine-readable line `BENCH_RESULT {...}` that the runner collects into the summary table.
import { loadavg } from "node:os";

/** BENCH_SMOKE=1 shrinks every benchmark to a few seconds, so a test can run them all (< 60 s). */
export const SMOKE = process.env.BENCH_SMOKE === "1";

export const RESULT_PREFIX = "BENCH_RESULT ";

const loadAtStart = loadavg();
const fmtLoad = (l) => l.map((x) => x.toFixed(2)).join(" ");

/**
 * figures: [{ name, value, baseline, ratio?, target, met? }]; `met` is true/false when a target
 * applies and null when the figure is informational (or the run is a smoke run).
 */
export function emitResult(bench, figures) {
  const result = { bench, smoke: SMOKE, node: process.version, loadStart: fmtLoad(loadAtStart), loadEnd: fmtLoad(loadavg()), figures };
  console.log(`load average (1/5/15 min) at start ${result.loadStart}, at end ${result.loadEnd}${SMOKE ? "; SMOKE run: sizes reduced, targets not judged" : ""}`);
  console.log(RESULT_PREFIX + JSON.stringify(result));
}

/** A target verdict, or null in smoke runs (tiny sizes on a busy test machine prove nothing). */
export const verdict = (ok) => (SMOKE ? null : Boolean(ok));

/** The SDK dispatch benchmarks' table (bench/sdk-dispatch*.mjs): rows {mode, runs, medianMs, p95Ms, minMs, maxMs}. */
export function printDispatchTable(runtime, rows) {
  console.log(`${runtime}, ${process.platform}/${process.arch}`);
  console.log("mode                         runs    median       p95       min       max");
  const f = (v) => `${v.toFixed(1)} ms`.padStart(10);
  for (const r of rows) console.log(`${r.mode.padEnd(28)} ${String(r.runs).padStart(4)} ${f(r.medianMs)}${f(r.p95Ms)}${f(r.minMs)}${f(r.maxMs)}`);
}
