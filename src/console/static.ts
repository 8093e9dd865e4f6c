// Static text files from static/ (css, js, svg): read once into memory (a few KB plus htmx), served by name only, so a
// request can never reach outside the directory. Versioned URLs are cached forever.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { rootPath } from "../paths.js";

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** The file name itself carries the version (vendor/htmx-2.0.11.min.js). */
  versionedName: boolean;
}

const TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

let table: Map<string, Asset> | undefined;

function load(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  const add = (dir: string, prefix: string, versionedName: boolean) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const type = TYPES[extname(name)];
      if (!type || !statSync(full).isFile()) continue;
      const body = readFileSync(full);
      const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
      out.set(prefix + name, { body, type, etag, versionedName });
    }
  };
  add(rootPath("static"), "", false);
  add(rootPath("static", "vendor"), "vendor/", true);
  return out;
}

const assets = (): Map<string, Asset> => (table ??= load());

/** The asset for a relative name like "app.css" or "vendor/htmx-2.0.11.min.js", if it exists. */
export const findAsset = (name: string): Asset | undefined => assets().get(name);

/** URL with a content version, so browsers may cache it immutably. */
export function assetUrl(name: string): string {
  const a = findAsset(name);
  return `/static/${name}${a ? `?v=${a.etag.slice(1, 9)}` : ""}`;
}

/** The vendored htmx file (written by scripts/build.mjs); falls back to the installed package's version name. */
export function htmxUrl(): string {
  for (const name of assets().keys()) if (/^vendor\/htmx-[\w.-]+\.min\.js$/.test(name)) return `/static/${name}`;
  try {
    const version = (JSON.parse(readFileSync(rootPath("node_modules", "htmx.org", "package.json"), "utf8")) as { version: string }).version;
    return `/static/vendor/htmx-${version}.min.js`;
  } catch {
    return "/static/vendor/htmx.min.js"; // not built yet: pages still work, only without htmx
  }
}
