// Small numeric helpers shared by the benchmarks: percentiles over samples and fixed-width formatting.

/** Nearest-rank percentiles of a list of numbers (ms); empty input gives nulls, never NaN. */
export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] : null);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : null;
  return { n: s.length, min: s[0] ?? null, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: s.at(-1) ?? null, mean };
}

/** Median of a few repeated measurements (cold starts, ratios). */
export const median = (xs) => summarize(xs).p50;

export const ms = (v, digits = 1) => (v === null || v === undefined ? "n/a" : `${v.toFixed(digits)} ms`);
export const mb = (bytes) => (bytes === null || bytes === undefined ? "n/a" : `${(bytes / 1024 / 1024).toFixed(1)} MB`);
export const num = (v, digits = 0) => (v === null || v === undefined ? "n/a" : v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }));

/** Prints rows as an aligned plain-text table (first row is the header). */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join("  ")).join("\n");
}

export const sleep = (msecs) => new Promise((r) => setTimeout(r, msecs));
