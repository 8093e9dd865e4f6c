// The Bus pages in Chromium, with JavaScript (htmx swaps the preview in place) and without (the
// Test button posts the whole form): define a route, test it against a sample event, save it, see an
// event it turned into a command.
import t from "tap";
import { guard, launchChromium, newContext, skipReason } from "../browser/_chromium.js";
import { busKit } from "./_kit.js";

for (const js of [true, false]) {
  t.test(`define, test and save a route (${js ? "htmx" : "no JavaScript"})`, { skip: skipReason() }, async (t) => {
    const k = await busKit(t);
    const password = "bus-operator-password-1";
    const { createUser } = await import("../../src/domain/users.js");
    await createUser(k.s.app, { type: "SYSTEM", id: null }, { username: "bus-op", password, role: "operator" });
    const browser = await launchChromium(t);
    const page = await (await newContext(browser, { js })).newPage();
    const seen = guard(page, { acceptDialogs: true });

    await page.goto(`${k.s.url}/login?next=%2Fbus%2Froutes`);
    await page.fill("#username", "bus-op");
    await page.fill("#password", password);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/bus\/routes$/);
    await page.click("a:text-is('New route')");
    await page.fill("#route-name", "Mail new items");
    await page.fill("#route-trigger-eventType", "shop.item.created");
    await page.fill("#route-action-targetServiceCode", "mailer");
    await page.fill("#route-action-actionName", "echo");
    await page.fill("#route-template", '{"message": "{{event.data.name}}"}');
    await page.selectOption("#route-status", "ENABLED");
    await page.fill("#sample-data", '{"name": "Lamp"}');
    const before = page.url();
    await page.click("button:text-is('Test')");
    await page.locator("#bus-preview").getByText("WOULD RUN").waitFor();
    t.match(await page.locator("#bus-preview pre").innerText(), /"message": "Lamp"/);
    if (js) t.equal(page.url(), before, "htmx swapped the preview in place");
    t.equal(await page.inputValue("#route-name"), "Mail new items", "the form keeps what was typed");

    await page.click("button:text-is('Create route')");
    await page.waitForURL(/\/bus\/routes\/brr_/);
    t.match(await page.locator("h1").innerText(), /Mail new items/);
    await k.publish({ eventType: "shop.item.created", data: { name: "Teapot" } });
    await page.click("nav.side a:text-is('Bus')");
    await page.click("a:text-is('Received events')");
    await page.locator("#bus-event-rows").getByText("DISPATCHED").waitFor();
    t.ok(await page.locator("#bus-event-rows a", { hasText: "echo" }).count(), "the event links the command it caused");
    t.same(seen, { dialogs: [], csp: [], errors: [] }, "no dialogs, CSP violations or page errors");
  });
}
