// Builds the SDK: esbuild bundles (ESM + CJS, minified, node18) and tsc declarations. Fails when
// the bundle imports anything but node: built-ins or outgrows its size budget.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
const BUDGET_BYTES = 30 * 1024;
/** dist/isolate.*: the opt-in Worker pool (src/isolate.ts), loaded by the bundle on first use only. */
const ISOLATE_BUDGET_BYTES = 4 * 1024;

// Files are overwritten in place, never the directory removed first: tests and the demo in this
// tree may be loading the bundle while someone rebuilds.
mkdirSync(dist, { recursive: true });

const common = {
  entryPoints: [join(here, "src/index.ts")],
  bundle: true,
  platform: "node",
  target: "node18",
  minify: true,
  metafile: true,
  legalComments: "none",
  define: { SDK_VERSION: JSON.stringify(pkg.version) },
  logLevel: "warning",
};
// The bundle imports "./isolate.js" (src/executor.ts) and "./package.js" (src/agent.ts) dynamically:
// kept as imports of the sibling files built for the same format, loaded only when needed.
const isolateBeside = (ext) => ({
  name: "isolate-beside",
  setup(b) {
    b.onResolve({ filter: /^\.\/(isolate|package)\.js$/ }, (a) => ({ path: a.path.replace(/js$/, ext), external: true }));
  },
});
const isolateEntry = { ...common, entryPoints: [join(here, "src/isolate.ts")] };
/** dist/package.*: reads manifest.package from the host's capsule.json (src/package.ts), loaded on the first report. */
const packageEntry = { ...common, entryPoints: [join(here, "src/package.ts")] };
const outputs = [
  await build({ ...common, format: "esm", outfile: join(dist, "index.mjs"), write: false, plugins: [isolateBeside("mjs")] }),
  await build({ ...common, format: "cjs", outfile: join(dist, "index.cjs"), write: false, plugins: [isolateBeside("cjs")] }),
  await build({ ...isolateEntry, format: "esm", outfile: join(dist, "isolate.mjs"), write: false }),
  await build({ ...isolateEntry, format: "cjs", outfile: join(dist, "isolate.cjs"), write: false }),
  await build({ ...packageEntry, format: "esm", outfile: join(dist, "package.mjs"), write: false }),
  await build({ ...packageEntry, format: "cjs", outfile: join(dist, "package.cjs"), write: false }),
];

const problems = [];
for (const { metafile } of outputs) {
  for (const [file, out] of Object.entries(metafile.outputs)) {
    for (const imp of out.imports) {
      if (!imp.path.startsWith("node:") && !/^\.\/(isolate|package)\.(mjs|cjs)$/.test(imp.path)) problems.push(`${file} imports "${imp.path}" (only node: built-ins are allowed)`);
    }
    const budget = /(isolate|package)\.(mjs|cjs)$/.test(file) ? ISOLATE_BUDGET_BYTES : BUDGET_BYTES;
    if (out.bytes > budget) problems.push(`${file} is ${out.bytes} bytes (budget ${budget})`);
  }
}
if (problems.length) {
  console.error("sdk build failed:\n  " + problems.join("\n  "));
  process.exit(1);
}
for (const { outputFiles } of outputs) for (const f of outputFiles) writeAtomic(f.path, f.contents);

// Declarations from the root TypeScript, then one index.d.ts entry the package exports.
const require = createRequire(import.meta.url);
const tsc = join(dirname(require.resolve("typescript/package.json")), "bin/tsc");
const r = spawnSync(process.execPath, [tsc, "-p", join(here, "tsconfig.json")], { stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);
writeAtomic(join(dist, "index.d.ts"), 'export * from "./types/index.js";\n');

function writeAtomic(path, contents) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}
