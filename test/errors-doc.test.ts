// Every error code the server can send is documented in docs/errors.md with its status.
import t from "tap";
import { readFileSync } from "node:fs";
import { ERRORS } from "../src/errors.js";
import { rootPath } from "../src/paths.js";

t.test("docs/errors.md lists every code", async (t) => {
  const doc = readFileSync(rootPath("docs/errors.md"), "utf8");
  for (const [code, status] of Object.entries(ERRORS)) {
    const row = doc.split("\n").find((l) => l.startsWith("|") && l.includes(`\`${code}\``));
    t.ok(row, `${code} is documented`);
    t.ok(row?.includes(`| ${status} |`), `${code} is documented with status ${status}`);
  }
});

// The table documents what is sent, nothing more: each code has a send site in src (an AppError
// thrown with it, or the [code, message] pairs of http/clientError.ts), and each documented code exists.
t.test("every code is sent somewhere, and docs/errors.md lists no other codes", async (t) => {
  const { readdirSync, statSync } = await import("node:fs");
  const { join } = await import("node:path");
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
    });
  const src = walk(rootPath("src")).filter((f) => !f.endsWith(join("src", "errors.ts"))).map((f) => readFileSync(f, "utf8")).join("\n");
  for (const code of Object.keys(ERRORS)) {
    const sent = new RegExp(`AppError\\(\\s*"${code}"|\\["${code}",`).test(src);
    t.ok(sent, `${code} has a send site in src`);
  }
  const doc = readFileSync(rootPath("docs/errors.md"), "utf8");
  const documented = doc.split("\n").filter((l) => l.startsWith("| `")).flatMap((l) => [...l.split("|")[1]!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!));
  t.same(documented.filter((c) => !(c in ERRORS)), [], "no documented code is missing from src/errors.ts");
});
