// No open redirect: `next` after login (and on /login when already logged in) only ever names a
// same-origin path; anything else falls back to "/".
import t from "tap";
import { createUser } from "../../src/domain/users.js";
import { safeNext } from "../../src/console/forms.js";
import { startTestServer } from "../helpers.js";

const HOSTILE = [
  "//evil.example", "/\\evil.example", "\\/evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", " //evil.example",
  "https://evil.example", "http:evil.example", "javascript:alert(1)", "evil.example", "/.//evil.example", "/..//evil.example",
  "/%2e//evil.example", "/\u0000/evil.example", "/\u007f/evil.example", "//\\evil.example", "/\\/evil.example", "",
  "/" + "a".repeat(3000),
];
const SAFE: [string, string][] = [
  ["/", "/"], ["/commands", "/commands"], ["/commands?status=FAILED&page=2", "/commands?status=FAILED&page=2"],
  ["/agents/agt_1#top", "/agents/agt_1#top"], ["/a/../commands", "/commands"], ["/%2F%2Fevil.example", "/%2F%2Fevil.example"],
  ["/%5Cevil.example", "/%5Cevil.example"], ["/services?q=//x", "/services?q=//x"],
];

t.test("safeNext: hostile values fall back to /, same-origin paths survive (normalised)", async (t) => {
  for (const v of HOSTILE) t.equal(safeNext(v), "/", `refused: ${JSON.stringify(v)}`);
  t.equal(safeNext(undefined), "/");
  for (const [v, want] of SAFE) t.equal(safeNext(v), want, `kept: ${v}`);
  // whatever is returned resolves to our own origin
  for (const v of [...HOSTILE, ...SAFE.map((s) => s[0])]) t.equal(new URL(safeNext(v), "https://capstan.example").origin, "https://capstan.example");
});

t.test("POST /login and GET /login never redirect off-site", async (t) => {
  const s = await startTestServer(t);
  await createUser(s.app, { type: "SYSTEM", id: null }, { username: "next-user", password: "next-user-password-1", role: "viewer" });
  const origin = new URL(s.url).origin;
  const login = (next: string) =>
    fetch(`${s.url}/login`, {
      method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: "next-user", password: "next-user-password-1", next }).toString(),
    });
  let cookie = "";
  for (const next of HOSTILE) {
    const res = await login(next);
    t.equal(res.status, 303, `login with next=${JSON.stringify(next)}`);
    t.equal(res.headers.get("location"), "/", "redirects to /");
    cookie = res.headers.getSetCookie()[0]!.split(";")[0]!;
  }
  const kept = await login("/commands?status=FAILED");
  t.equal(kept.headers.get("location"), "/commands?status=FAILED");
  for (const next of HOSTILE) {
    const res = await fetch(`${s.url}/login?next=${encodeURIComponent(next)}`, { redirect: "manual", headers: { cookie } });
    t.equal(res.status, 303);
    const location = res.headers.get("location")!;
    t.equal(new URL(location, origin).origin, origin, `GET /login?next=${JSON.stringify(next)} stays on ${origin} (${location})`);
  }
});
