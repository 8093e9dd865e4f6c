// Locates files that ship beside the code (schema.sql, migrations/, views/, static/) whether we run
// from src/ under tsx or from the esbuild bundle in dist/: walk up to the directory holding package.json.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "schema.sql"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the Capstan root (package.json + schema.sql)");
    dir = parent;
  }
}

export const ROOT_DIR = findRoot(dirname(fileURLToPath(import.meta.url)));
export const rootPath = (...parts: string[]): string => join(ROOT_DIR, ...parts);
