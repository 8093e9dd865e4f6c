// Debian's Chromium driven by playwright-core (no Playwright browser download), and a page guard
// that records what a safe console never produces: dialogs, CSP violations, uncaught page errors.
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.CAPSTAN_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Why the browser suite cannot run here, or undefined when it can. In CI (.ci/run installs Chromium)
 * a missing browser is not a reason to skip: launching then fails, so CI never goes green untested.
 */
export const skipReason = (): string | undefined =>
  existsSync(CHROMIUM) || process.env.CI
    ? undefined
    : `Chromium not found at ${CHROMIUM}: run "bash scripts/install-chromium.sh" (CI does) to run the browser tests`;

// Without the background-networking flags Chromium keeps dialling Google services, which floods a
// closed network and slows every launch. launch() gives each browser a fresh temporary profile.
const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--hide-scrollbars", "--font-render-hinting=none",
];

export async function launchChromium(t: { teardown(fn: () => unknown): void }): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
  t.teardown(() => browser.close());
  return browser;
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function newContext(browser: Browser, opts: { js: boolean }): Promise<BrowserContext> {
  const ctx = await browser.newContext({ javaScriptEnabled: opts.js, viewport: DESKTOP, acceptDownloads: true, locale: "en-GB", timezoneId: "UTC" });
  ctx.setDefaultTimeout(15_000);
  return ctx;
}

export interface Guard {
  dialogs: string[];
  csp: string[];
  errors: string[];
}

/**
 * Records dialogs, CSP violations and page errors. `acceptDialogs` answers hx-confirm prompts (the
 * operator clicking OK); otherwise a dialog is dismissed and only recorded, so a test can fail on it.
 */
export function guard(page: Page, opts: { acceptDialogs: boolean }): Guard {
  const g: Guard = { dialogs: [], csp: [], errors: [] };
  page.on("dialog", (d) => {
    g.dialogs.push(`${d.type()}: ${d.message()}`);
    void (opts.acceptDialogs ? d.accept() : d.dismiss());
  });
  // Chromium logs every blocked script, handler, style or eval as a console error naming the policy.
  page.on("console", (m) => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) g.csp.push(m.text());
  });
  page.on("pageerror", (e) => g.errors.push(e.message));
  return g;
}

/** Full-page PNG at both widths, e.g. docs/screenshots/dashboard-1280.png and -390.png. */
export async function screenshots(page: Page, file: (width: number) => string): Promise<void> {
  for (const size of [DESKTOP, PHONE]) {
    await page.setViewportSize(size);
    const path = file(size.width);
    mkdirSync(dirname(path), { recursive: true });
    await page.screenshot({ path, fullPage: true, animations: "disabled", caret: "hide" });
  }
  await page.setViewportSize(DESKTOP);
}
