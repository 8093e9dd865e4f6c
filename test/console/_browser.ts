// A browser without JavaScript, by hand: a cookie jar, plain GET/POST with redirect: "manual",
// form posts carrying the _csrf field scraped from the page, like a user with scripts turned off.
import { createUser } from "../../src/domain/users.js";
import type { Role } from "../../src/auth/roles.js";
import type { TestServer } from "../helpers.js";

export interface Page {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
}

export interface Browser {
  cookie: string;
  csrf: string;
  get(path: string, opts?: { hx?: boolean; headers?: Record<string, string> }): Promise<Page>;
  /** Form post; adds _csrf unless given. */
  post(path: string, fields?: Record<string, string | string[]>, opts?: { hx?: boolean; noCsrf?: boolean }): Promise<Page>;
  /** Follows one 303/302 (the PRG step) and returns the next page. */
  follow(p: Page): Promise<Page>;
}

export function browser(s: TestServer, cookie = ""): Browser {
  const b: Browser = {
    cookie,
    csrf: "",
    async get(path, opts = {}) {
      const headers: Record<string, string> = { accept: "text/html", ...(opts.headers ?? {}) };
      if (b.cookie) headers.cookie = b.cookie;
      if (opts.hx) headers["hx-request"] = "true";
      return toPage(b, await fetch(s.url + path, { headers, redirect: "manual" }));
    },
    async post(path, fields = {}, opts = {}) {
      const form = new URLSearchParams();
      if (!opts.noCsrf && !("_csrf" in fields)) form.append("_csrf", b.csrf);
      for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) form.append(k, one);
      const headers: Record<string, string> = { accept: "text/html", "content-type": "application/x-www-form-urlencoded" };
      if (b.cookie) headers.cookie = b.cookie;
      if (opts.hx) headers["hx-request"] = "true";
      return toPage(b, await fetch(s.url + path, { method: "POST", headers, body: form.toString(), redirect: "manual" }));
    },
    async follow(p) {
      if (!p.location) throw new Error(`expected a redirect, got ${p.status}: ${p.text.slice(0, 300)}`);
      return b.get(p.location);
    },
  };
  return b;
}

async function toPage(b: Browser, res: Response): Promise<Page> {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(";");
    const [name, value] = pair!.split("=");
    const jar = new Map(b.cookie ? b.cookie.split("; ").map((kv) => kv.split("=") as [string, string]) : []);
    if (value === "" || /Max-Age=0/i.test(c)) jar.delete(name!);
    else jar.set(name!, value!);
    b.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  const text = await res.text();
  const m = /name="_csrf" value="([^"]+)"/.exec(text);
  if (m) b.csrf = m[1]!;
  return { status: res.status, headers: res.headers, text, location: res.headers.get("location") };
}

const created = new WeakMap<TestServer, Set<string>>();

/** Creates the user (once per server) and logs in through the console's login form. */
export async function loginBrowser(s: TestServer, role: Role, username = `${role}-console`): Promise<Browser> {
  const password = `${username}-password-123`;
  const seen = created.get(s) ?? new Set<string>();
  created.set(s, seen);
  if (!seen.has(username)) {
    await createUser(s.app, { type: "SYSTEM", id: null }, { username, password, role });
    seen.add(username);
  }
  const b = browser(s);
  const res = await b.post("/login", { username, password, next: "/" }, { noCsrf: true });
  if (res.status !== 303) throw new Error(`console login failed: ${res.status} ${res.text.slice(0, 200)}`);
  await b.follow(res); // picks up the CSRF token from the landing page
  return b;
}

/** Strings a hostile service might report; every page must show them escaped. */
export const HOSTILE = `<script>alert(1)</script>"onmouseover="alert(2)`;
export const assertEscaped = (t: { notOk(v: unknown, m: string): unknown }, text: string, where: string) => {
  t.notOk(text.includes("<script>alert(1)</script>"), `${where}: no raw <script>`);
  t.notOk(text.includes(`"onmouseover="alert(2)`), `${where}: no attribute break-out`);
};
