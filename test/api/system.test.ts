import t from "tap";
import { startTestServer } from "../helpers.js";
import { TEST_ENGINE } from "../testDb.js";

t.test("system probes answer without credentials", async (t) => {
  const s = await startTestServer(t);
  const health = await s.anon.get("/api/system/health");
  t.equal(health.status, 200);
  t.equal(health.body.success, true);
  t.equal(health.body.data.status, "UP");
  t.equal(health.body.data.edition, "ce");
  t.equal(health.body.data.database.kind, TEST_ENGINE, "the engine this suite runs on");
  t.type(health.body.data.uptimeSeconds, "number");
  const version = await s.anon.get("/api/system/version");
  t.equal(version.body.data.version, s.app.version);
  t.equal((await s.anon.get("/healthz")).status, 200);
  t.equal((await s.anon.get("/readyz")).status, 200);
  t.ok(health.headers.get("x-request-id"), "request id echoed");
});

t.test("unknown routes, wrong methods and bad params get the envelope", async (t) => {
  const s = await startTestServer(t);
  const missing = await s.anon.get("/api/nope");
  t.equal(missing.status, 404);
  t.same(missing.body.success, false);
  t.equal(missing.body.error.code, "NOT_FOUND");
  const wrong = await s.anon.req("DELETE", "/api/system/health");
  t.equal(wrong.status, 405);
  t.equal(wrong.headers.get("allow"), "GET");
  t.equal(wrong.body.error.code, "METHOD_NOT_ALLOWED");
});

t.test("login, me, csrf rotation and logout", async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  const me = await owner.get("/api/admin/auth/me");
  t.equal(me.status, 200);
  t.equal(me.body.data.user.role, "owner");
  t.equal(me.body.data.csrfToken, owner.csrf);
  const rotated = await owner.get("/api/admin/auth/csrf");
  t.equal(rotated.status, 200);
  t.not(rotated.body.data.csrfToken, owner.csrf);
  const stale = await owner.post("/api/admin/auth/logout");
  t.equal(stale.status, 403, "old CSRF token no longer validates");
  t.equal(stale.body.error.code, "CSRF_INVALID");
  const fresh = s.clientWith({ cookie: owner.cookie!, csrf: rotated.body.data.csrfToken });
  t.equal((await fresh.post("/api/admin/auth/logout")).status, 200);
  t.equal((await fresh.get("/api/admin/auth/me")).status, 401);
});

t.test("wrong password is a generic 401 and gets throttled", async (t) => {
  const s = await startTestServer(t);
  await s.loginAs("owner", "alice");
  for (let i = 0; i < 5; i++) {
    const r = await s.anon.post("/api/admin/auth/login", { username: "alice", password: "wrong-password-xx" });
    t.equal(r.status, 401);
    t.equal(r.body.error.code, "LOGIN_FAILED");
  }
  const blocked = await s.anon.post("/api/admin/auth/login", { username: "alice", password: "alice-password-123" });
  t.equal(blocked.status, 429);
  t.equal(blocked.body.error.code, "RATE_LIMITED");
  // the first lock lasts 30 s (throttle.ts LOGIN_POLICY.baseLockMs), counted from the fifth failure a moment ago
  const wait = Number(blocked.headers.get("retry-after"));
  t.ok(wait >= 25 && wait <= 30, `Retry-After ${wait} s is the 30 s first lock`);
  t.equal(blocked.body.error.details.retryAfterSeconds, wait, "the body says the same wait");
});
