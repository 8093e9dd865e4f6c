// Size budgets from CONTRIBUTING.md: fails on any source file over 400 lines, warns past the
// per-kind budgets (route file 250, db module 200, template 80). Cheap guard against god files.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "../..");
const DIRS = ["src", "bin", "views", "static", "sdk/src", "sdk-python", "demo", "scripts"];
const HARD = 400;
const budgets = [
  [/^src\/routes\//, 250],
  [/^src\/db\//, 200],
  [/^views\/.*\.eta$/, 80],
];

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === "vendor" || name === "node_modules" || name === "dist" || name === "build") continue;
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|mjs|js|eta|css|py)$/.test(name)) yield p;
  }
}

let failed = 0;
for (const d of DIRS) {
  let entries;
  try { entries = [...walk(join(root, d))]; } catch { continue; }
  for (const file of entries) {
    const rel = relative(root, file);
    const lines = readFileSync(file, "utf8").split("\n").length;
    if (lines > HARD) {
      console.error(`FAIL ${rel}: ${lines} lines (max ${HARD})`);
      failed++;
      continue;
    }
    const budget = budgets.find(([re]) => re.test(rel));
    if (budget && lines > budget[1]) console.warn(`warn ${rel}: ${lines} lines (budget ${budget[1]})`);
  }
}
if (failed) process.exit(1);
console.log("size budgets ok");
