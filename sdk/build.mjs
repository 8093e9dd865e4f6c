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
const outputs = [
  await build({ ...common, format: "esm", outfile: join(dist, "index.mjs"), write: false }),
  await build({ ...common, format: "cjs", outfile: join(dist, "index.cjs"), write: false }),
];

const problems = [];
for (const { metafile } of outputs) {
  for (const [file, out] of Object.entries(metafile.outputs)) {
    for (const imp of out.imports) if (!imp.path.startsWith("node:")) problems.push(`${file} imports "${imp.path}" (only node: built-ins are allowed)`);
    if (out.bytes > BUDGET_BYTES) problems.push(`${file} is ${out.bytes} bytes (budget ${BUDGET_BYTES})`);
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
