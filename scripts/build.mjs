// Builds dist/capstan.js (server + CLI) with esbuild, vendors htmx into static/, and builds the SDK.
import { build } from "esbuild";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

await build({
  entryPoints: [join(root, "bin/capstan.ts")],
  outfile: join(root, "dist/capstan.js"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external", // runtime dependencies (native better-sqlite3, argon2) load from node_modules
  sourcemap: true,
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning",
});
// V8 keeps a module's source in the heap for lazy compilation, as one byte per character only when
// every character is Latin-1: one "…" left in a kept comment doubled the retained bundle (0.75 MB of
// idle heap). esbuild escapes strings (charset ascii) but prints kept comments as written.
const bundled = readFileSync(join(root, "dist/capstan.js"), "utf8");
let wide = -1;
for (let i = 0; i < bundled.length && wide < 0; i++) if (bundled.charCodeAt(i) > 0xff) wide = i;
if (wide >= 0) {
  console.error(`dist/capstan.js: a character beyond Latin-1 near ${JSON.stringify(bundled.slice(Math.max(0, wide - 60), wide + 20))}: write it in ASCII (it doubles the source V8 retains)`);
  process.exit(1);
}

// htmx is served from our own origin, pinned by version in the file name (no CDN).
const htmxPkg = JSON.parse(readFileSync(require.resolve("htmx.org/package.json"), "utf8"));
const vendor = join(root, "static/vendor");
mkdirSync(vendor, { recursive: true });
for (const f of readdirSync(vendor)) if (/^htmx-.*\.min\.js$/.test(f) && f !== `htmx-${htmxPkg.version}.min.js`) rmSync(join(vendor, f));
copyFileSync(join(dirname(require.resolve("htmx.org/package.json")), "dist/htmx.min.js"), join(vendor, `htmx-${htmxPkg.version}.min.js`));

if (existsSync(join(root, "sdk/build.mjs"))) {
  const r = spawnSync(process.execPath, [join(root, "sdk/build.mjs")], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
