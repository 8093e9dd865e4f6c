// Form bodies are parsed in linear time with a cap on the field count: `b=&b=&...` 250,000 times
// (750 KB, under the body limit) on the unauthenticated POST /login once froze the server for minutes.
import t from "tap";
import { AppError } from "../../src/errors.js";
import { MAX_FORM_FIELDS, parseForm } from "../../src/http/body.js";
import { startTestServer } from "../helpers.js";

const repeated = (n: number, piece = "b=") => Array.from({ length: n }, () => piece).join("&");

t.test("parseForm: repeated keys build arrays, in order", async (t) => {
  t.same(parseForm("a=1&b=2&a=3&a=4&c="), { a: ["1", "3", "4"], b: "2", c: "" });
  t.same(parseForm(""), {});
  t.same(parseForm("&&a=1&&"), { a: "1" }, "empty parts are not fields");
  const proto = parseForm("__proto__=x&constructor=y");
  t.equal(Object.getPrototypeOf(proto), Object.prototype, "a plain object comes back");
  t.ok(Object.hasOwn(proto, "__proto__") && Object.hasOwn(proto, "constructor"), "hostile names are plain own fields");
});

t.test("parseForm: more than MAX_FORM_FIELDS fields is refused, exactly the cap is not", async (t) => {
  t.equal(Object.keys(parseForm(repeated(MAX_FORM_FIELDS, "x=1"))).length, 1);
  t.equal((parseForm(repeated(MAX_FORM_FIELDS, "x=1")).x as string[]).length, MAX_FORM_FIELDS);
  const err = t.throws(() => parseForm(repeated(MAX_FORM_FIELDS + 1, "x=1"))) as unknown;
  t.ok(err instanceof AppError && err.code === "PAYLOAD_TOO_LARGE" && err.status === 413, "413 PAYLOAD_TOO_LARGE");
  t.throws(() => parseForm(repeated(250_000)), "the 750 KB attack body is refused");
});

t.test("parseForm: 200,000 repeated keys without the cap take linear time", async (t) => {
  // The old code copied the array on every repeat: 200,000 repeats are 2e10 element copies (minutes).
  const text = repeated(200_000);
  const started = performance.now();
  const form = parseForm(text, Infinity);
  const ms = performance.now() - started;
  t.equal((form.b as string[]).length, 200_000);
  t.ok(ms < 2_000, `parsed in ${Math.round(ms)} ms`);
});

t.test("POST /login with 250,000 repeated fields: a fast 413 while the server stays live", async (t) => {
  const s = await startTestServer(t);
  const body = repeated(250_000);
  t.ok(body.length < s.config.bodyLimitBytes, "under the body limit, so only the field cap can refuse it");
  const started = Date.now();
  const attack = fetch(`${s.url}/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body, redirect: "manual" });
  const probeStarted = Date.now();
  const live = await fetch(`${s.url}/healthz`);
  t.equal(live.status, 200);
  t.ok(Date.now() - probeStarted < 1_000, "healthz answers meanwhile");
  const res = await attack;
  t.equal(res.status, 413);
  t.match(await res.text(), /at most 1000 fields/);
  t.ok(Date.now() - started < 2_000, `refused in ${Date.now() - started} ms`);

  const api = await fetch(`${s.url}/api/admin/auth/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  t.equal(api.status, 413);
  const json = (await api.json()) as { success: boolean; error: { code: string } };
  t.same([json.success, json.error.code], [false, "PAYLOAD_TOO_LARGE"], "the error envelope on the API");
});
