// The console names who acted: a username for USER actors, the agent code for AGENT actors, "system"
// for SYSTEM, with the id in a title attribute; names come from one batch per page, not a query per row.
import t from "tap";
import { registerTestAgent } from "../fixtures.js";
import { startTestServer, type TestServer } from "../helpers.js";
import { loginBrowser, type Browser } from "./_browser.js";

/** Statements run through the app's Db (get/all/run, either engine) while one page is fetched: the server runs in this process. */
async function queriesFor(s: TestServer, b: Browser, path: string): Promise<number> {
  const db = s.app.db as unknown as Record<string, (...a: unknown[]) => unknown>;
  const methods = ["all", "get", "run"] as const;
  const originals = methods.map((m) => db[m]!);
  let n = 0;
  methods.forEach((m, i) => {
    db[m] = function (this: unknown, ...a: unknown[]) {
      n++;
      return originals[i]!.apply(this, a);
    };
  });
  try {
    const page = await b.get(path);
    if (page.status !== 200) throw new Error(`${path}: ${page.status}`);
  } finally {
    methods.forEach((m, i) => (db[m] = originals[i]!));
  }
  return n;
}

t.test("audit rows, the dashboard and command pages name the user, the agent and the system", async (t) => {
  const s = await startTestServer(t);
  const b = await loginBrowser(s, "owner", "ona");
  const { agentId, serviceId, operator, agent } = await registerTestAgent(s, { code: "billing-agent" });
  const userId = operator.userId!;

  // the operator created the registration token, the agent registered, the system created the users
  const users = await b.get("/audit?actorType=USER");
  t.match(users.text, `<span title="${userId}">operator-user</span>`, "USER actor: username, id on hover");
  t.notMatch(users.text, `USER ${userId}`, "no longer type and id");
  const agents = await b.get("/audit?actorType=AGENT");
  t.match(agents.text, `<span title="${agentId}">billing-agent</span>`, "AGENT actor: agent code, id on hover");
  const system = await b.get("/audit?actorType=SYSTEM");
  t.match(system.text, '<td class="wrap" data-label="Actor">system</td>', "SYSTEM actor");
  t.notMatch(system.text, ">SYSTEM</td>");

  // a command run by the operator: its page says who, the list has a By column
  const run = await operator.post(`/api/admin/capsule-services/${serviceId}/actions/echo`, { payload: { message: "hi" } });
  t.equal(run.status, 200);
  const cmdId = run.body.data.id as string;
  const polled = await agent.get(`/api/agents/${agentId}/commands?limit=1&waitSeconds=1`);
  t.equal(polled.body.data[0].id, cmdId);
  t.equal((await agent.post(`/api/agents/${agentId}/commands/${cmdId}/result`, { success: true, message: "ok" })).status, 200);
  const detail = await b.get(`/commands/${cmdId}`);
  t.match(detail.text, `by <span id="command-by" title="${userId}">operator-user</span>`, "created by the username, id on hover");
  t.notMatch(detail.text, "by USER");
  t.match(detail.text, `<span title="${agentId}">billing-agent</span>`, "the command's audit trail names the agent");
  const list = await b.get("/commands");
  t.match(list.text, '<th scope="col">By</th>');
  t.match(list.text, `<td data-label="By"><span title="${userId}">operator-user</span></td>`);

  // the dashboard's recent commands and audit use the same names
  const dash = await b.get("/");
  t.match(dash.text, `<td data-label="By"><span title="${userId}">operator-user</span></td>`);
  t.match(dash.text, `<span title="${agentId}">billing-agent</span>`);
});

t.test("names are looked up once per page, not once per row", async (t) => {
  const s = await startTestServer(t);
  const b = await loginBrowser(s, "owner", "ona");
  for (let i = 0; i < 4; i++) {
    const a = await registerTestAgent(s, { code: `agent-${i}`, serviceCode: `svc-${i}` });
    const run = await a.operator.post(`/api/admin/capsule-services/${a.serviceId}/actions/echo`, { payload: { message: `hi ${i}` } });
    t.equal(run.status, 200);
  }
  await b.get("/commands"); // warm: statements prepared, session touched

  const oneCommand = await queriesFor(s, b, "/commands?pageSize=1");
  const fourCommands = await queriesFor(s, b, "/commands?pageSize=20");
  t.equal(fourCommands, oneCommand, "four commands on four agents and services cost what one costs");

  const oneEvent = await queriesFor(s, b, "/audit?actorType=AGENT&pageSize=1");
  const manyEvents = await queriesFor(s, b, "/audit?actorType=AGENT&pageSize=50");
  t.equal(manyEvents, oneEvent, "audit rows of four agents cost what one costs");
  t.match((await b.get("/audit?actorType=AGENT")).text, /agent-3<\/span>[\s\S]*agent-0<\/span>/, "each agent named");
});
