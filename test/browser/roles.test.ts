// Issue 8.4: what a viewer is shown, and a service reporting markup everywhere it can: Chromium
// must show it as text (no dialog opens, the CSP never has to block anything).
import t from "tap";
import { startTestServer } from "../helpers.js";
import { guard, launchChromium, newContext, skipReason } from "./_chromium.js";
import { startDemo } from "./_demo.js";
import { loginPage } from "./_login.js";

t.test("a viewer sees no run, cancel or revoke controls", { skip: skipReason() }, async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  const token = await owner.post("/api/admin/registration-tokens", { name: "demo" });
  const demo = await startDemo(t, { url: s.url, registrationToken: token.body.data.rawToken });
  const spare = await owner.post("/api/admin/registration-tokens", { name: "spare, still active" });
  const run = await owner.post(`/api/admin/capsule-services/${demo.serviceId}/actions/slowReindex`, { payload: {} });
  t.equal(run.status, 200, "a running command for the viewer to look at");
  const commandId: string = run.body.data.id;
  t.teardown(() => owner.post(`/api/admin/commands/${commandId}/cancel`));

  const browser = await launchChromium(t);
  const pages = {
    owner: await loginPage(s, await newContext(browser, { js: true }), "owner", "olga"),
    viewer: await loginPage(s, await newContext(browser, { js: true }), "viewer", "vera"),
  };
  const seen = guard(pages.viewer, { acceptDialogs: false });
  const controls = async (who: keyof typeof pages) => {
    const page = pages[who];
    await page.goto(`${s.url}/services/${demo.serviceId}/actions`);
    const run = await page.locator("#service-actions a:has-text('Run')").count();
    await page.goto(`${s.url}/commands/${commandId}`);
    await page.waitForSelector("#command-status");
    const cancel = await page.locator("button:has-text('Cancel command')").count();
    await page.goto(`${s.url}/tokens`);
    const revoke = await page.locator(`#token-${spare.body.data.id} button:has-text('Revoke')`).count();
    const create = await page.locator("#token-form").count();
    await page.goto(`${s.url}/agents/${demo.agentId}`);
    const agentOps = await page.locator("#agent-ops").count();
    return { run, cancel, revoke, create, agentOps };
  };
  t.same(await controls("owner"), { run: 7, cancel: 1, revoke: 1, create: 1, agentOps: 1 }, "the owner has every control (the check can see them)");
  t.same(await controls("viewer"), { run: 0, cancel: 0, revoke: 0, create: 0, agentOps: 0 }, "the viewer has none");
  await pages.viewer.goto(`${s.url}/services/${demo.serviceId}/actions`);
  t.match(await pages.viewer.innerText("main"), "Running actions needs the operator role");

  // and the server refuses what the viewer cannot click (a forged form post from the same session)
  await pages.viewer.goto(`${s.url}/commands/${commandId}`);
  const csrf = await pages.viewer.locator("header input[name=_csrf]").inputValue();
  const forged = await pages.viewer.request.post(`${s.url}/commands/${commandId}/cancel`, { form: { _csrf: csrf }, maxRedirects: 0 });
  t.equal(forged.status(), 403, "cancel refused for a viewer");
  t.equal((await owner.get(`/api/admin/commands/${commandId}`)).body.data.status, "RUNNING", "still running");
  t.same([seen.dialogs, seen.csp, seen.errors], [[], [], []], "no dialogs, CSP reports or page errors");
});

t.test("a service that reports markup and script is shown as text", { skip: skipReason() }, async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_PREPARE_TIMEOUT_SECONDS: "5" } });
  const owner = await s.loginAs("owner");
  const token = await owner.post("/api/admin/registration-tokens", { name: `<img src=x onerror=alert("token")>` });
  const demo = await startDemo(t, { url: s.url, registrationToken: token.body.data.rawToken, variant: "hostile" });
  const browser = await launchChromium(t);
  const page = await loginPage(s, await newContext(browser, { js: true }), "owner", "otto");
  const seen = guard(page, { acceptDialogs: false });

  // The detector works: an inline script added to a console page is blocked and reported.
  await page.goto(`${s.url}/`);
  await page.evaluate(() => document.body.append(Object.assign(document.createElement("script"), { textContent: "void 0" })));
  await page.waitForTimeout(200);
  t.ok(seen.csp.length > 0, "an injected inline script is reported as a CSP violation");
  seen.csp.length = 0;

  // run the hostile action through its form, so its result, log and progress are on the page too
  await page.goto(`${s.url}/services/${demo.serviceId}/actions/shout`);
  await page.click("#action-run button[type=submit]");
  await page.waitForURL(/\/commands\/cmd_\w+$/);
  await page.waitForFunction(() => document.querySelector("#command-status")?.textContent === "SUCCEEDED");
  const commandUrl = page.url();

  const svc = `/services/${demo.serviceId}`;
  const paths = [
    "/", "/services", svc, ...["manifest", "health", "configs", "actions", "commands", "audit"].map((tab) => `${svc}/${tab}`),
    `${svc}/actions/shout`, "/agents", `/agents/${demo.agentId}`, "/commands", commandUrl, "/audit", "/tokens",
  ];
  for (const path of paths) {
    await page.goto(path.startsWith("http") ? path : `${s.url}${path}`);
    await page.waitForTimeout(100); // lets htmx settle and anything that would fire, fire
    const injected = await page.evaluate(() => document.querySelectorAll("main script, main img, main svg:not(#chart svg), main [onerror], main [onload], main a[href^='javascript:']").length);
    t.equal(injected, 0, `${path}: no element came from the service's strings`);
  }
  await page.goto(commandUrl);
  t.match(await page.innerText("#result-message"), `<script>alert("xss")</script>`, "the payload is visible as text");
  t.match(await page.innerText("#command-logs"), `<svg onload=alert("svg")>`, "log lines too");
  t.same(seen.dialogs, [], "no dialog fired");
  t.same(seen.csp, [], "the CSP reported nothing: nothing ever tried to run");
  t.same(seen.errors, [], "no page errors");
});
