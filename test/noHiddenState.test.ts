// Per-process memory lives in one place, app.runtime (src/runtime.ts): no module keeps mutable state
// of its own, and nothing is configured by an import's side effect.
import t from "tap";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { rootPath } from "../src/paths.js";
import { startTestServer } from "./helpers.js";

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });

// Module-scope state that is allowed, and why: none of it differs between two apps in one process.
const ALLOWED: Record<string, string> = {
  "src/ids.ts": "monotonic ULID order and the CSPRNG byte pool are process-wide by nature",
  "src/auth/passwords.ts": "the lazily imported argon2 module and a constant dummy hash",
  "src/domain/commands/payload.ts": "ajv (warmed up right after the server listens) and a bounded cache of compiled schemas (a pure function of the schema)",
  "src/console/static.ts": "the static assets, read from disk once",
  "src/metrics/prometheus.ts": "the lazily imported prom-client module",
  "src/console/markdown.ts": "the markdown-it renderer, created on the first readme (its options are constants)",
  "src/db/pgDriver.ts": "the lazily imported pg module (loaded only on PostgreSQL)",
  "src/domain/packages/serviceLink.ts": "the lazily imported semver module",
  "src/schemas/common.ts": "the strict schema built once per query shape (a pure function of a module-constant shape)",
  "src/db/dialect.ts": "a cache of translated SQL text (a pure function of the statement)",
  "src/domain/commands/safeRegex.ts": "the RE2 module (loaded once) and the scan budget of the one synchronous validation running now",
  "src/domain/commands/secretFields.ts": "a cache of compiled patternProperties keys (a pure function of the pattern)",
};

t.test("no module-level mutable state outside the runtime", async (t) => {
  // unindented `let`/`var`, or a const bound to an empty Map/Set/WeakMap (an accumulator)
  const stateful = /^(export )?(let|var) |^(export )?const \w+(: [^=]+)? = new (Weak)?(Map|Set)(<[^(]*>)?\(\)/m;
  const offenders = walk(rootPath("src"))
    .map((f) => relative(rootPath(), f).split("\\").join("/"))
    .filter((f) => !(f in ALLOWED) && stateful.test(readFileSync(rootPath(f), "utf8")));
  t.same(offenders, [], "state belongs in src/runtime.ts (app.runtime)");
});

t.test("no side-effect imports in src", async (t) => {
  const offenders = walk(rootPath("src")).filter((f) => /^import\s+["']/m.test(readFileSync(f, "utf8")));
  t.same(offenders, []);
});

t.test("the console's error page renderer is the one createApp was given", async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  const res = await owner.req("GET", "/no-such-page", undefined, { accept: "text/html" });
  t.equal(res.status, 404);
  t.match(res.text, /<section class="error-page" id="error">/, "rendered by console/errors.ts in the layout, not the bare fallback");
  t.match(res.text, /404 · Not found/);
  const frag = await owner.req("GET", "/agents/agt_01HXYZ0000000000000000000A", undefined, { accept: "text/html", "hx-request": "true" });
  t.equal(frag.headers.get("hx-retarget"), "#alerts", "htmx errors go to the alert region");
});
