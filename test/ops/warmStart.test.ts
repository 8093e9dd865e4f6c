// Start-up stays short: the payload validator (ajv, ajv-formats, RE2) is loaded in the background
// once the server listens, not on the way to readiness; loaded by the first validation instead, that
// one request stalled every other request of the process for 0.4-1 s. Modules only some pages use
// (markdown-it for readmes, semver for compatibility checks) load on first use. This file runs in
// its own process, so the module cache starts without them.
import { createRequire } from "node:module";
import t from "tap";
import { startTestServer } from "../helpers.js";

const cache = createRequire(import.meta.url).cache;
const loaded = (name: string): boolean => Object.keys(cache).some((path) => path.includes(`/node_modules/${name}/`));

t.test("ajv, its formats and RE2 are loaded soon after the server accepts requests, page-only modules are not", async (t) => {
  t.notOk(loaded("ajv") || loaded("re2js"), "not loaded before the server starts (else this test proves nothing)");
  const server = await startTestServer(t);
  t.equal((await fetch(`${server.url}/readyz`)).status, 200, "ready");
  const until = Date.now() + 5_000;
  while (!(loaded("ajv") && loaded("ajv-formats") && loaded("re2js")) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  t.ok(loaded("ajv"), "ajv loaded");
  t.ok(loaded("ajv-formats"), "ajv-formats loaded");
  t.ok(loaded("re2js"), "re2js loaded");
  t.notOk(loaded("markdown-it"), "markdown-it waits for the first readme");
  t.notOk(loaded("semver"), "semver waits for the first compatibility check");
});
