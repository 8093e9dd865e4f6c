// The governance loop as a new operator walks it in a real browser: first login, a registration
// token, the demo service started with it, echo, rotateKey, a cancelled slowReindex, the audit log.
// Run with JavaScript (htmx: live updates, no reloads) and without (plain forms, reloads).
import { readFileSync } from "node:fs";
import type tap from "tap";
import { bootstrapOwner } from "../../src/domain/users.js";
import { rootPath } from "../../src/paths.js";
import { startTestServer } from "../helpers.js";
import { guard, launchChromium, newContext, screenshots } from "./_chromium.js";
import { startDemo, type DemoProcess } from "./_demo.js";

export type T = Parameters<Parameters<typeof tap.test>[0]>[0];

export async function walkLoop(t: T, opts: { js: boolean; screenshots?: boolean }): Promise<void> {
  const { js } = opts;
  const s = await startTestServer(t);
  const owner = await bootstrapOwner(s.app, {}); // what `capstan serve` does on first start
  const browser = await launchChromium(t);
  const page = await (await newContext(browser, { js })).newPage();
  const seen = guard(page, { acceptDialogs: true });
  const shoot = async (name: string) => {
    if (opts.screenshots) await screenshots(page, (w) => rootPath(`docs/screenshots/${name}-${w}.png`));
  };
  /** Waits for a condition the way each kind of user does: htmx updates the page, others reload it. */
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${demo ? `\n${demo.output()}` : ""}`);
      await page.waitForTimeout(js ? 200 : 400);
      if (!js) await page.reload();
    }
  };
  const text = async (selector: string) => ((await page.locator(selector).count()) ? await page.locator(selector).first().innerText() : "");
  let demo: DemoProcess | undefined;

  // first login: a wrong password gets the one generic message, the generated one gets in
  await page.goto(`${s.url}/`);
  t.match(page.url(), /\/login\?next=%2F$/, "not logged in: sent to the login page");
  await page.fill("#username", owner!.username);
  await page.fill("#password", "not-the-password");
  await page.click("button:has-text('Log in')");
  t.match(await text("#login-error"), /username or password is wrong/i, "one generic login error");
  await page.fill("#password", owner!.generatedPassword!);
  await page.click("button:has-text('Log in')");
  t.equal(await text("h1"), "Dashboard");
  t.equal(await text("#current-user"), "admin");
  t.match(await text("#dashboard"), "No agents yet");

  // a registration token: raw value and env snippet shown once
  await page.click("nav.side >> text=Registration tokens");
  await page.fill("#token-name", "demo service on my laptop");
  await page.click("button:has-text('Create token')");
  const raw = await page.inputValue("#secret-value");
  t.match(raw, /^opstage_reg_[0-9A-Za-z]{32,}$/, "raw token shown");
  t.match(await page.inputValue("#secret-snippet"), `CAPSTAN_REGISTRATION_TOKEN=${raw}`);
  t.match(await text("#token-rows"), "demo service on my laptop");
  await page.reload();
  t.notOk((await page.content()).includes(raw), "the raw token is gone after a reload");

  // the service starts with it and shows up HEALTHY on the dashboard without a reload
  await page.click("nav.side >> text=Dashboard");
  if (js) await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
  demo = await startDemo(t, { url: s.url, registrationToken: raw });
  await until("the service to appear HEALTHY", async () => (await text("#service-counts")).includes("HEALTHY 1"));
  t.match(await text("#agent-counts"), "ONLINE 1");
  if (js) t.ok(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce), "same document: htmx refreshed it, nothing reloaded");

  await page.click("nav.side >> text=Services");
  t.match(await text(`#service-${demo.serviceId}`), /HEALTHY[\s\S]*Demo Capsule Service[\s\S]*UP/);
  await shoot("services");
  await page.click(`#service-${demo.serviceId} >> text=Demo Capsule Service`);
  await page.click(".tabs >> text=Actions");
  await page.waitForSelector("#service-actions");
  // htmx pushes the URL after the swap settles, a moment after the tab's content is in the page
  await page.waitForURL(new RegExp(`/services/${demo.serviceId}/actions$`));
  t.match(page.url(), `/services/${demo.serviceId}/actions`, js ? "tab swapped in and its URL pushed" : "tab page");
  await shoot("service-actions");

  // echo through the generated form
  await page.click("#action-echo >> text=Run");
  t.equal(await page.inputValue("#f-message"), "hello", "schema default prefilled");
  await page.fill("#f-message", "hello from a real browser");
  await page.click("button:has-text('Run Echo')");
  await page.waitForURL(/\/commands\/cmd_\w+$/);
  await until("echo to succeed", async () => (await text("#command-status")) === "SUCCEEDED");
  t.equal(await text("#result-message"), "hello from a real browser", "the agent echoed the form's input");

  // rotateKey: a confirmation step, then the one-time key exactly once
  await page.click("h1 a");
  await page.click("#action-rotateKey >> text=Run");
  await page.click("button:has-text('Continue Rotate API key')");
  // with htmx the confirmation step is swapped in after the click returns: wait for it, then read it
  await page.waitForSelector("button:has-text('Yes, run Rotate API key')");
  t.match(await text("#action-run"), /You are about to run Rotate API key/, "confirmation step names the action");
  await page.click("button:has-text('Yes, run Rotate API key')");
  await page.waitForURL(/\/commands\/cmd_\w+$/);
  await until("rotateKey to succeed", async () => (await text("#command-status")) === "SUCCEEDED");
  const key = await page.inputValue("#generated-key-value");
  t.match(key, /^demo_[\w-]{20,}$/, "the generated key is shown");
  t.equal((await page.content()).split(key).length, 2, "exactly once in the page");
  await page.reload();
  t.notOk((await page.content()).includes(key), "never again");
  t.match(await text("#generated-key"), "It is shown once, within 15 minutes");

  // slowReindex: watch its progress, cancel it, see CANCELLED (and the handler stop)
  await page.click("h1 a");
  await page.click("#action-slowReindex >> text=Run");
  t.equal(await page.inputValue("#f-collection"), "items", "prefilled by the agent's prepare answer");
  t.match(await text("#current-state"), "lastReindexAt");
  await page.click("button:has-text('Run Reindex (slow)')");
  await page.waitForURL(/\/commands\/cmd_\w+$/);
  const progress = async () => Number((await page.locator("#command-progress").getAttribute("value").catch(() => null)) ?? -1);
  await until("slowReindex to report progress", async () => (await progress()) >= 15);
  t.match(await text("#command-logs"), "indexed batch", "log lines stream in");
  await shoot("command-running");
  await page.click("button:has-text('Cancel command')");
  await until("the command to be CANCELLED", async () => (await text("#command-status")) === "CANCELLED");
  t.ok((await progress()) < 100, "stopped before the end");
  await until("the handler to stop", async () => /REINDEX_STOPPED CANCELLED/.test(demo!.output()), 10_000);

  // the audit log: filter, then export what the filter shows
  await page.click("nav.side >> text=Audit");
  t.match(await text("#audit-rows"), "command.dispatched");
  await shoot("audit");
  await page.fill("input[name=action]", "command.cancelled");
  await page.press("input[name=action]", "Enter");
  await until("the filter to apply", async () => (await page.locator("#audit-rows tbody tr").count()) === 1);
  t.match(page.url(), /[?&]action=command\.cancelled/, "the filter is in the URL");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#audit-export >> text=CSV")]);
  const csv = readFileSync((await download.path())!, "utf8").trim().split("\n");
  t.match(csv[0], /^id,createdAt,actorType/, "CSV header");
  t.equal(csv.length, 2, "exactly the filtered event");
  t.match(csv[1], ",command.cancelled,");

  await page.click("nav.side >> text=Dashboard");
  t.match(await text("#dashboard"), "All services are healthy");
  await shoot("dashboard");

  t.same(seen.dialogs, js ? ["confirm: Cancel this command?"] : [], js ? "only hx-confirm asked" : "no dialogs without JavaScript");
  t.same(seen.csp, [], "no CSP violations");
  t.same(seen.errors, [], "no page errors");
}
