// The catalog console without JavaScript (issue #17 points 2, 4, 5): the Packages navigation entry,
// the list with search and runtime filter, publishing with the form (422 with the form again on bad
// input, 409 on a duplicate), the package page with versions, what the version declares, where it
// runs (service, version, status), and a hostile readme rendered inert.
import t from "tap";
import { loginBrowser } from "./_browser.js";
import { descriptor, packageKit, serviceRunning } from "../packages/kit.js";

t.setTimeout(240_000);

const README = [
  "# Invoice OCR",
  "Reads **invoices**. <script>alert(1)</script>",
  '<img src=x onerror="alert(2)">',
  "[click me](javascript:alert(3)) [data](data:text/html;base64,PHNjcmlwdD4=) [docs](https://example.com/docs) [rel](docs/setup.md)",
  "![tracker](https://evil.example/pixel.png)",
].join("\n\n");

t.test("list, search, filter; publish through the form; the package page", async (t) => {
  const k = await packageKit(t);
  await k.publishApproved(descriptor({ readme: README }));
  await k.publishApproved(descriptor({ name: "py/tool", version: "0.1.0", runtime: "python", tags: ["cli"], capabilities: [{ name: "tool.run" }], readme: undefined }));
  await serviceRunning(k.s, k.operator, "ocr-main", { name: "acme/invoice-ocr", version: "1.4.2" });

  const viewer = await loginBrowser(k.s, "viewer");
  const list = await viewer.get("/packages");
  t.equal(list.status, 200);
  t.match(list.text, /<a href="\/packages"[^>]*aria-current="page">Packages<\/a>/, "the navigation has Packages, current here");
  t.match(list.text, /href="\/packages\/acme\/invoice-ocr"/);
  t.notMatch(list.text, /id="publish"/, "viewers get no publish form");
  const rows = async (q: string) => [...(await viewer.get(`/packages?${q}`)).text.matchAll(/<a href="\/packages\/([^"]+)" class="mono">/g)].map((m) => m[1]);
  t.same(await rows("q=documents"), ["acme/invoice-ocr"], "search by tag");
  t.same(await rows("q=tool.run"), ["py/tool"], "search by capability");
  t.same(await rows("q=invoice"), ["acme/invoice-ocr"], "search by name");
  t.same(await rows("runtime=python"), ["py/tool"], "runtime filter");
  t.equal((await viewer.get("/packages?colour=red")).status, 422, "unknown filters are refused");

  const show = await viewer.get("/packages/acme/invoice-ocr");
  t.equal(show.status, 200);
  t.equal((await viewer.get("/packages/acme%2Finvoice-ocr")).status, 200, "the %2F form answers too");
  t.match(show.text, /id="package-latest">1\.4\.2</);
  t.match(show.text, /<td class="mono"><a href="[^"]+">1\.4\.2<\/a><\/td>\s*<td><span class="badge tone-\w+">APPROVED<\/span>/, "versions with status");
  t.match(show.text, /id="package-capabilities"><li class="mono">invoice\.read/);
  t.match(show.text, /id="package-actions"><li><span class="mono">reprocess<\/span> Reprocess <span class="badge tone-\w+">MEDIUM/);
  t.match(show.text, /id="package-configs"><li><span class="mono">OCR_ENDPOINT<\/span> string/);
  t.match(show.text, /id="package-events"><li><span class="mono">invoice\.parsed<\/span> publish/);
  t.match(show.text, /id="package-services">\s*<li><a href="\/services\/svc_[^"]+" class="mono">ocr-main<\/a> runs <span class="mono">1\.4\.2<\/span> on ocr-main-agent <span class="badge tone-\w+">\w+</, "where it runs: service, version, status");

  const readme = /<div class="panel readme" id="package-readme">([\s\S]*?)<\/div>\n/.exec(show.text)?.[1] ?? "";
  t.match(readme, /<h1>Invoice OCR<\/h1>/, "markdown is rendered");
  t.match(readme, /<strong>invoices<\/strong>/);
  t.notMatch(readme, /<script/i, "no script element");
  t.match(readme, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, "inline HTML is shown as text");
  t.notMatch(readme, /<img/i, "no img element (raw HTML or markdown image)");
  t.notMatch(readme, /href="(javascript|data):/i, "no javascript: or data: link");
  t.match(readme, /<a href="https:\/\/example\.com\/docs" rel="nofollow noopener noreferrer">docs<\/a>/, "http(s) links stay, without referrer");
  t.match(readme, /<a href="docs\/setup\.md"/, "relative links stay");
  t.notMatch(show.text, /onerror="alert/, "no event handler attribute anywhere on the page");
  t.equal((await viewer.get("/packages/acme%2Fnope")).status, 404);
});

t.test("operators publish with the form; bad input shows the form again", async (t) => {
  const k = await packageKit(t);
  const op = await loginBrowser(k.s, "operator");
  const list = await op.get("/packages");
  t.match(list.text, /id="publish"/, "operators see the publish form");
  const bad = await op.post("/packages", { descriptor: "{not json" });
  t.equal(bad.status, 422);
  t.match(bad.text, /class="field-error">[^<]*JSON/, "the field says it is not JSON");
  t.match(bad.text, /\{not json<\/textarea>/, "what was typed is kept");
  const semver = await op.post("/packages", { descriptor: JSON.stringify(descriptor({ version: "1.0" })) });
  t.equal(semver.status, 422);
  t.match(semver.text, /SemVer 2/);
  const ok = await op.post("/packages", { descriptor: JSON.stringify(descriptor()) });
  t.equal(ok.status, 303, ok.text.slice(0, 300));
  t.equal(ok.location, "/packages/acme/invoice-ocr");
  const landed = await op.follow(ok);
  t.match(landed.text, /published; it waits for an owner&#39;s approval|published; it waits for an owner's approval/);
  t.match(landed.text, /PENDING_APPROVAL/);
  const dup = await op.post("/packages", { descriptor: JSON.stringify(descriptor()) });
  t.equal(dup.status, 409);
  t.match(dup.text, /id="publish-error">PACKAGE_VERSION_EXISTS/);
  const noCsrf = await op.post("/packages", { descriptor: JSON.stringify(descriptor({ version: "9.9.9" })) }, { noCsrf: true });
  t.equal(noCsrf.status, 403, "the form needs its CSRF token");

  // the review page names the package, and only owners get the decision forms
  const approval = (await k.owner.get("/api/admin/approvals?subjectType=PACKAGE_VERSION")).body.data[0];
  const op2 = await loginBrowser(k.s, "operator", "other-operator");
  const asOperator = await op2.get(`/approvals/${approval.id}`);
  t.match(asOperator.text, /Publish acme\/invoice-ocr@1\.4\.2/);
  t.notMatch(asOperator.text, /id="approval-controls"/, "operators cannot decide package requests");
  const owner = await loginBrowser(k.s, "owner");
  t.match((await owner.get(`/approvals/${approval.id}`)).text, /id="approval-controls"/, "owners can");
});
