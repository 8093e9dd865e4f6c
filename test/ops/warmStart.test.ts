// The server loads its payload validator (ajv, ajv-formats, RE2) before it listens. Loaded on the
// first validation instead, that one request stalled every other request of the process for
// 0.4-1 s. This file runs in its own process, so the module cache starts without them.
import { createRequire } from "node:module";
import t from "tap";
import { startTestServer } from "../helpers.js";

const cache = createRequire(import.meta.url).cache;
const loaded = (name: string): boolean => Object.keys(cache).some((path) => path.includes(`/node_modules/${name}/`));

t.test("ajv, its formats and RE2 are loaded by the time the server accepts requests", async (t) => {
  t.notOk(loaded("ajv") || loaded("re2js"), "not loaded before the server starts (else this test proves nothing)");
  await startTestServer(t);
  t.ok(loaded("ajv"), "ajv loaded");
  t.ok(loaded("ajv-formats"), "ajv-formats loaded");
  t.ok(loaded("re2js"), "re2js loaded");
});
