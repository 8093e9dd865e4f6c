// A browser page logged in through the console's login form as a fresh user of the given role.
import type { BrowserContext, Page } from "playwright-core";
import type { Role } from "../../src/auth/roles.js";
import { createUser } from "../../src/domain/users.js";
import type { TestServer } from "../helpers.js";

export async function loginPage(s: TestServer, ctx: BrowserContext, role: Role, username: string): Promise<Page> {
  const password = `${username}-password-123`;
  await createUser(s.app, { type: "SYSTEM", id: null }, { username, password, role });
  const page = await ctx.newPage();
  await page.goto(`${s.url}/login`);
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.click("button:has-text('Log in')");
  await page.waitForSelector("#current-user");
  return page;
}
