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
