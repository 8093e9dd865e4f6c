import t from "tap";
import { startTestServer } from "../helpers.js";
import { browser, loginBrowser } from "./_browser.js";

t.test("unauthenticated pages redirect to login and back", async (t) => {
  const s = await startTestServer(t);
  const anon = browser(s);
  const res = await anon.get("/services?status=HEALTHY");
  t.equal(res.status, 303);
  t.equal(res.location, "/login?next=%2Fservices%3Fstatus%3DHEALTHY");
  const login = await anon.get(res.location!);
  t.equal(login.status, 200);
  t.match(login.text, 'id="login"');
  t.match(login.text, 'name="next" value="/services?status=HEALTHY"');
  t.match(login.headers.get("content-security-policy") ?? "", /script-src 'self'/);
  t.equal(login.headers.get("x-frame-options"), "DENY");
  t.equal(login.headers.get("x-content-type-options"), "nosniff");
  t.equal(login.headers.get("referrer-policy"), "same-origin");
  t.equal(login.headers.get("vary"), "HX-Request");
  t.notMatch(login.text, /<script>[^<]/, "no inline script");
  t.notMatch(login.text, / on[a-z]+="/, "no inline handlers");
});

t.test("login form: wrong password is generic, right one redirects to next, logout ends the session", async (t) => {
  const s = await startTestServer(t);
  await loginBrowser(s, "operator", "olga");
  const b = browser(s);
  const bad = await b.post("/login", { username: "olga", password: "nope-nope-nope", next: "/audit" }, { noCsrf: true });
  t.equal(bad.status, 401);
  t.match(bad.text, "Username or password is wrong.");
  t.match(bad.text, 'value="olga"', "username kept");
  const unknown = await b.post("/login", { username: "nobody", password: "nope-nope-nope" }, { noCsrf: true });
  t.equal(unknown.status, 401);
  t.match(unknown.text, "Username or password is wrong.", "same message for unknown users");
  const empty = await b.post("/login", { username: "", password: "" }, { noCsrf: true });
  t.equal(empty.status, 422);
  const good = await b.post("/login", { username: "olga", password: "olga-password-123", next: "/audit" }, { noCsrf: true });
  t.equal(good.status, 303);
  t.equal(good.location, "/audit");
  t.match(good.headers.get("set-cookie") ?? "", /capstan_session=.+; Path=\/; SameSite=Lax; HttpOnly/);
  const audit = await b.follow(good);
  t.equal(audit.status, 200);
  t.match(audit.text, 'id="current-user">olga<');
  t.ok(b.csrf, "csrf token in the page");
  t.match(audit.text, `hx-headers="{&quot;X-CSRF-Token&quot;:&quot;${b.csrf}&quot;}"`);
  // an already logged-in user skips the login page
  t.equal((await b.get("/login")).status, 303);
  // logout needs the CSRF field
  const forged = await b.post("/logout", { _csrf: "wrong" });
  t.equal(forged.status, 403);
  t.match(forged.text, "Reload the page");
  const out = await b.post("/logout");
  t.equal(out.status, 303);
  t.equal(out.location, "/login");
  t.equal((await b.get("/audit")).status, 303, "session gone");
});

t.test("open redirects are refused", async (t) => {
  const s = await startTestServer(t);
  await loginBrowser(s, "viewer", "vic");
  const b = browser(s);
  for (const next of ["//evil.example/", "https://evil.example/", "/\\evil.example"]) {
    const r = await b.post("/login", { username: "vic", password: "vic-password-123", next }, { noCsrf: true });
    t.equal(r.location, "/", `next=${next} goes home`);
  }
});

t.test("login throttling shows a clear message", async (t) => {
  const s = await startTestServer(t);
  await loginBrowser(s, "viewer", "tess");
  const b = browser(s);
  for (let i = 0; i < 5; i++) await b.post("/login", { username: "tess", password: "wrong-password-x" }, { noCsrf: true });
  const blocked = await b.post("/login", { username: "tess", password: "tess-password-123" }, { noCsrf: true });
  t.equal(blocked.status, 429);
  t.match(blocked.text, /too many failed logins/);
  const wait = Number(blocked.headers.get("retry-after"));
  t.ok(wait >= 25 && wait <= 30, `Retry-After ${wait} s is the 30 s first lock`);
});

t.test("static files: types, caching, no traversal", async (t) => {
  const s = await startTestServer(t);
  const b = browser(s);
  const login = await b.get("/login");
  const css = /href="(\/static\/app\.css\?v=[0-9a-f]+)"/.exec(login.text)![1]!;
  const res = await b.get(css);
  t.equal(res.status, 200);
  t.match(res.headers.get("content-type"), /^text\/css/);
  t.match(res.headers.get("cache-control"), /immutable/);
  const plain = await b.get("/static/app.css");
  t.equal(plain.headers.get("cache-control"), "no-cache");
  const etag = plain.headers.get("etag")!;
  t.equal((await b.get("/static/app.css", { headers: { "if-none-match": etag } })).status, 304);
  const htmx = /src="(\/static\/vendor\/htmx-[\d.]+\.min\.js)"/.exec(login.text)![1]!;
  const js = await b.get(htmx);
  t.equal(js.status, 200);
  t.match(js.headers.get("content-type"), /^text\/javascript/);
  t.match(js.headers.get("cache-control"), /immutable/);
  for (const p of ["/static/..%2Fpackage.json", "/static/..%2F..%2Fschema.sql", "/static/vendor/..%2F..%2Fpackage.json", "/static/.env", "/static/nope.css"]) {
    t.equal((await b.get(p)).status, 404, p);
  }
});
