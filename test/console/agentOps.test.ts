// The agent page offers exactly the transitions the domain allows for the agent's status
// (allowedAgentTransitions), and only those three names are pages at all.
import t from "tap";
import { registerTestAgent } from "../fixtures.js";
import { startTestServer } from "../helpers.js";
import { loginBrowser } from "./_browser.js";

const opsOf = (html: string): string[] => {
  const block = /<div class="actions-row" id="agent-ops">([\s\S]*?)<form/.exec(html)?.[1] ?? "";
  return [...block.matchAll(/href="\/agents\/agt_\w+\/(\w+)"/g)].map((m) => m[1]!).filter((op, i, all) => all.indexOf(op) === i);
};

t.test("buttons follow the stored status: online, disabled, revoked", async (t) => {
  const s = await startTestServer(t);
  const b = await loginBrowser(s, "operator", "opal");
  const { agentId } = await registerTestAgent(s, { code: "ops-agent" });
  const show = async () => (await b.get(`/agents/${agentId}`)).text;

  t.same(opsOf(await show()), ["disable", "revoke"], "online: disable or revoke");
  t.equal((await b.post(`/agents/${agentId}/disable`)).status, 303);
  t.same(opsOf(await show()), ["enable", "revoke"], "disabled: enable or revoke");
  t.equal((await b.post(`/agents/${agentId}/revoke`)).status, 303);
  t.same(opsOf(await show()), [], "revoked: nothing but re-enrol");
  t.match(await show(), "Create re-enrol token");
});

t.test("a name that is not a transition is no page, even one every object has", async (t) => {
  const s = await startTestServer(t);
  const b = await loginBrowser(s, "operator", "opal");
  const { agentId } = await registerTestAgent(s, { code: "odd-agent" });
  t.equal((await b.post(`/agents/${agentId}/disable`)).status, 303);
  for (const name of ["constructor", "toString", "hasOwnProperty", "reenable"]) {
    t.equal((await b.get(`/agents/${agentId}/${name}`)).status, 404, `GET ${name}`);
    t.equal((await b.post(`/agents/${agentId}/${name}`)).status, 404, `POST ${name}`);
  }
  const agent = await (await s.loginAs("viewer")).get(`/api/admin/agents/${agentId}`);
  t.equal(agent.body.data.status, "DISABLED", "still disabled");
});
