// Console dropdowns offer exactly the vocabulary the list queries accept (src/vocabulary.ts), and
// each offered value is accepted by the list it filters.
import t from "tap";
import {
  ACTOR_TYPES, AGENT_STATUSES, AUDIT_RESULTS, BUS_EVENT_OUTCOMES, BUS_ROUTE_STATUSES, COMMAND_STATUSES, COMMAND_TYPES, HEALTH_STATUSES, ROLES,
  EFFECTIVE_SERVICE_STATUSES, TOKEN_STATUSES, USER_STATUSES,
} from "../../src/vocabulary.js";
import { startTestServer } from "../helpers.js";
import { loginBrowser } from "./_browser.js";

/** The option values of the first <select> whose opening tag matches `open`, "any" ("") left out. */
function options(html: string, open: RegExp): string[] {
  const start = html.search(open);
  if (start < 0) return [];
  const body = html.slice(start, html.indexOf("</select>", start));
  return [...body.matchAll(/<option(?: value="([^"]*)")?[^>]*>([^<]*)<\/option>/g)].map((m) => m[1] ?? m[2]!).filter((v) => v !== "");
}

t.test("filter dropdowns list the vocabulary and every value filters", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_BUS_ENABLED: "true" } });
  const owner = await loginBrowser(s, "owner", "olive");
  const cases: [string, string, readonly string[]][] = [
    ["/agents", "status", AGENT_STATUSES],
    ["/services", "status", EFFECTIVE_SERVICE_STATUSES],
    ["/services", "healthStatus", HEALTH_STATUSES],
    ["/commands", "status", COMMAND_STATUSES],
    ["/commands", "type", COMMAND_TYPES],
    ["/audit", "actorType", ACTOR_TYPES],
    ["/audit", "result", AUDIT_RESULTS],
    ["/tokens", "status", TOKEN_STATUSES],
    ["/bus/routes", "status", BUS_ROUTE_STATUSES],
    ["/bus/events", "outcome", BUS_EVENT_OUTCOMES],
  ];
  for (const [path, name, list] of cases) {
    const page = await owner.get(path);
    t.equal(page.status, 200, `${path} renders`);
    t.same(options(page.text, new RegExp(`<select name="${name}">`)), [...list], `${path} ${name} offers the vocabulary`);
    for (const v of list) t.equal((await owner.get(`${path}?${name}=${v}`)).status, 200, `${path}?${name}=${v} is accepted`);
  }
});

t.test("user forms: roles and statuses from the vocabulary, a new user defaults to viewer", async (t) => {
  const s = await startTestServer(t);
  const owner = await loginBrowser(s, "owner", "olive");
  const page = await owner.get("/users");
  t.equal(page.status, 200);
  t.same(options(page.text, /<select id="new-role"/), [...ROLES]);
  t.match(page.text, /<option selected>viewer<\/option>/, "the least privilege is preselected for a new user");
  t.notMatch(page.text.slice(page.text.indexOf('id="new-role"')), /<option selected>owner<\/option>/);
  t.same(options(page.text, /<select id="role-usr_/), [...ROLES]);
  t.same(options(page.text, /<select id="status-usr_/), [...USER_STATUSES]);
});
