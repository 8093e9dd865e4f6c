// Cross-site requests cannot cause side effects: GETs that create a command (action prepare, console
// and API) or rotate the CSRF token refuse what the browser marks cross-site or same-site, and the
// login forms refuse a foreign Origin (login CSRF). Typed URLs (Sec-Fetch-Site: none), same-origin
// requests and non-browser clients (no header) keep working.
import t from "tap";
import { createUser } from "../../src/domain/users.js";
import { registerTestAgent } from "../fixtures.js";
import { startTestServer, type TestServer } from "../helpers.js";
import { loginBrowser } from "../console/_browser.js";

const commandCount = async (s: TestServer): Promise<number> => (await s.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM commands"))!.n;
const REFUSED: Record<string, string>[] = [
  { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }, { origin: "http://evil.example" }, { origin: "null" },
  { "sec-fetch-site": "same-origin", origin: "https://evil.example" },
];

t.test("GETs that create a command or rotate the CSRF token refuse cross-site requests", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_PREPARE_TIMEOUT_SECONDS: "0.1" } });
  const fx = await registerTestAgent(s);
  const b = await loginBrowser(s, "operator");
  const pagePath = `/services/${fx.serviceId}/actions/echo`;
  const apiPath = `/api/admin/capsule-services/${fx.serviceId}/actions/echo`;
  const self = new URL(s.url).origin;

  for (const headers of REFUSED) {
    const before = await commandCount(s);
    const page = await b.get(pagePath, { headers });
    t.equal(page.status, 403, `console prepare ${JSON.stringify(headers)}: 403`);
    t.match(page.text, /<!doctype html>[\s\S]*another site/i, "an HTML error page");
    const api = await fx.operator.req("GET", apiPath, undefined, headers);
    t.equal(api.status, 403, `API prepare ${JSON.stringify(headers)}: 403`);
    t.same([api.body.success, api.body.error.code], [false, "FORBIDDEN"], "the error envelope");
    t.equal(await commandCount(s), before, "no command was created");
    const me = (await fx.operator.get("/api/admin/auth/me")).body.data.csrfToken;
    const rotate = await fx.operator.req("GET", "/api/admin/auth/csrf", undefined, headers);
    t.equal(rotate.status, 403, `csrf rotation ${JSON.stringify(headers)}: 403`);
    t.equal((await fx.operator.get("/api/admin/auth/me")).body.data.csrfToken, me, "the CSRF token is unchanged");
  }
  const allowed: Record<string, string>[] = [{}, { "sec-fetch-site": "none" }, { "sec-fetch-site": "same-origin", origin: self }];
  for (const headers of allowed) {
    const before = await commandCount(s);
    t.equal((await b.get(pagePath, { headers })).status, 200, `console prepare ${JSON.stringify(headers)}: 200`);
    t.equal(await commandCount(s), before + 1, "the prepare command was created");
    const api = await fx.operator.req("GET", apiPath, undefined, headers);
    t.not(api.status, 403, `API prepare ${JSON.stringify(headers)}: not refused (${api.status})`);
    t.equal((await fx.operator.req("GET", "/api/admin/auth/csrf", undefined, headers)).status, 200, `csrf rotation ${JSON.stringify(headers)}: 200`);
  }
});

t.test("login forms refuse a foreign Origin (login CSRF)", async (t) => {
  const s = await startTestServer(t);
  await createUser(s.app, { type: "SYSTEM", id: null }, { username: "cs-user", password: "cs-user-password-1", role: "viewer" });
  const self = new URL(s.url).origin;
  const form = new URLSearchParams({ username: "cs-user", password: "cs-user-password-1", next: "/" }).toString();
  const post = (path: string, headers: Record<string, string>, body = form, type = "application/x-www-form-urlencoded") =>
    fetch(s.url + path, { method: "POST", redirect: "manual", headers: { "content-type": type, ...headers }, body });

  for (const headers of REFUSED) {
    const page = await post("/login", headers);
    t.equal(page.status, 403, `POST /login ${JSON.stringify(headers)}: 403`);
    t.same(page.headers.getSetCookie(), [], "no session cookie");
    const api = await post("/api/admin/auth/login", headers);
    t.equal(api.status, 403, `POST /api/admin/auth/login (form) ${JSON.stringify(headers)}: 403`);
    t.equal(((await api.json()) as { error: { code: string } }).error.code, "FORBIDDEN");
    t.same(api.headers.getSetCookie(), [], "no session cookie");
  }
  const allowed: Record<string, string>[] = [{}, { origin: self }, { origin: self, "sec-fetch-site": "same-origin" }, { "sec-fetch-site": "none" }];
  for (const headers of allowed) {
    t.equal((await post("/login", headers)).status, 303, `POST /login ${JSON.stringify(headers)}: logged in`);
    const api = await post("/api/admin/auth/login", headers, JSON.stringify({ username: "cs-user", password: "cs-user-password-1" }), "application/json");
    t.equal(api.status, 200, `POST /api/admin/auth/login ${JSON.stringify(headers)}: logged in`);
  }
  const otherPort = new URL(s.url);
  otherPort.port = String(Number(otherPort.port) + 1);
  t.equal((await post("/login", { origin: otherPort.origin })).status, 403, "another port is another origin");
});

t.test("with CAPSTAN_PUBLIC_URL the Origin must be that URL's origin", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_PUBLIC_URL: "https://capstan.example/" } });
  await createUser(s.app, { type: "SYSTEM", id: null }, { username: "pub-user", password: "pub-user-password-1", role: "viewer" });
  const login = (origin: string) =>
    fetch(`${s.url}/api/admin/auth/login`, {
      method: "POST", headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ username: "pub-user", password: "pub-user-password-1" }),
    });
  t.equal((await login("https://capstan.example")).status, 200, "the public origin (behind a proxy)");
  t.equal((await login(new URL(s.url).origin)).status, 403, "the listening address is not the public origin");
  t.equal((await login("http://capstan.example")).status, 403, "scheme matters when the public URL is known");
});
