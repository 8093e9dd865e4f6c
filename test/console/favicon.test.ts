// The console has its own icon: every page links static/favicon.svg, which is served as SVG, and the
// /favicon.ico browsers ask for on their own leads there instead of a 404.
import t from "tap";
import { startTestServer } from "../helpers.js";

t.test("the layout links the favicon and it is served as SVG; /favicon.ico redirects to it", async (t) => {
  const s = await startTestServer(t);
  for (const path of ["/login", "/no-such-page"]) {
    const page = await (await fetch(s.url + path, { headers: { accept: "text/html" } })).text();
    const m = /<link rel="icon" href="([^"]+)" type="image\/svg\+xml">/.exec(page);
    t.ok(m, `${path} links the icon`);
    const icon = await fetch(s.url + m![1]!);
    t.equal(icon.status, 200);
    t.equal(icon.headers.get("content-type"), "image/svg+xml; charset=utf-8");
    t.match(await icon.text(), /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\s*$/);
  }
  const ico = await fetch(`${s.url}/favicon.ico`, { redirect: "manual" });
  t.equal(ico.status, 302);
  t.equal(ico.headers.get("location"), "/static/favicon.svg");
  const followed = await fetch(`${s.url}/favicon.ico`);
  t.equal(followed.status, 200);
  t.equal(followed.headers.get("content-type"), "image/svg+xml; charset=utf-8");
});
