// Acceptance 4: viewer, operator and owner see and can do exactly what their role allows.
import t from "tap";
import { startTestServer } from "../helpers.js";
import { registerTestAgent } from "../fixtures.js";
import { loginBrowser } from "./_browser.js";

t.test("what each role sees and may do", async (t) => {
  const s = await startTestServer(t);
  const reg = await registerTestAgent(s);
  const viewer = await loginBrowser(s, "viewer", "vera");
  const operator = await loginBrowser(s, "operator", "otto");
  const owner = await loginBrowser(s, "owner", "olive");
  const svc = `/services/${reg.serviceId}`;

  // viewer: reads everything, sees no run buttons or forms that change state, and is refused anyway
  for (const p of ["/", "/agents", `/agents/${reg.agentId}`, "/services", svc, `${svc}/actions`, "/commands", "/audit", "/tokens", "/settings"]) {
    const res = await viewer.get(p);
    t.equal(res.status, 200, `viewer reads ${p}`);
    t.notMatch(res.text, `${svc}/actions/echo"`, `${p}: no run link`);
  }
  t.notMatch((await viewer.get("/tokens")).text, 'id="token-form"');
  t.notMatch((await viewer.get(`/agents/${reg.agentId}`)).text, 'id="agent-ops"');
  t.notMatch((await viewer.get("/settings")).text, 'action="/settings/maintenance"');
  t.notMatch((await viewer.get("/")).text, 'href="/users"', "no Users entry");
  const refused = await viewer.get(`${svc}/actions/echo`);
  t.equal(refused.status, 403);
  t.match(refused.text, "Not allowed");
  for (const [path, fields] of [["/tokens", { name: "x" }], [`/agents/${reg.agentId}/disable`, {}], [`${svc}/actions/echo`, {}], ["/settings/maintenance", {}], ["/users", {}]] as const) {
    t.equal((await viewer.post(path, fields)).status, 403, `viewer refused POST ${path}`);
  }
  // a viewer still manages their own API tokens
  const mine = await viewer.post("/settings/api-tokens", { name: "viewer-script", expiresInSeconds: "604800" });
  t.equal(mine.status, 303);
  t.match((await viewer.follow(mine)).text, /value="capstan_pat_[0-9A-Za-z]+"/);

  // operator: runs actions, manages tokens and agents, no users, no backup
  t.match((await operator.get(svc)).text, `href="${svc}/actions/echo"`);
  t.match((await operator.get("/tokens")).text, 'id="token-form"');
  const settings = await operator.get("/settings");
  t.match(settings.text, 'action="/settings/maintenance"');
  t.notMatch(settings.text, 'action="/settings/backup"');
  t.equal((await operator.get("/users")).status, 403);
  t.equal((await operator.post("/settings/backup")).status, 403);
  const ran = await operator.post("/settings/maintenance");
  t.equal(ran.status, 303);
  t.match((await operator.follow(ran)).text, /Maintenance ran in \d+ ms/);

  // disable with a confirmation step (plain page, or inline fragment for htmx), then enable
  const agentPage = await operator.get(`/agents/${reg.agentId}`);
  t.match(agentPage.text, `hx-get="/agents/${reg.agentId}/disable" hx-target="#agent-confirm"`);
  const confirm = await operator.get(`/agents/${reg.agentId}/disable`);
  t.match(confirm.text, "Yes, disable");
  const inline = await operator.get(`/agents/${reg.agentId}/revoke`, { hx: true });
  t.match(inline.text, /^<section class="panel danger-note" id="agent-confirm-revoke">/);
  const disabled = await operator.post(`/agents/${reg.agentId}/disable`);
  t.equal(disabled.status, 303);
  t.match((await operator.follow(disabled)).text, "is now DISABLED");
  t.match((await operator.get(svc)).text, ">OFFLINE<", "service of a disabled agent is OFFLINE");
  t.equal((await operator.post(`/agents/${reg.agentId}/enable`)).status, 303);
  const reenrol = await operator.post(`/agents/${reg.agentId}/reenrol`);
  t.match((await operator.follow(reenrol)).text, "# re-enrols agent code");

  // owner: users and backup
  t.match((await owner.get("/")).text, 'href="/users"');
  const users = await owner.get("/users");
  t.equal(users.status, 200);
  t.match(users.text, 'id="user-form"');
  const backup = await owner.post("/settings/backup");
  if (s.db.kind === "postgres") {
    t.equal(backup.status, 409, "PostgreSQL: the snapshot is pg_dump's job");
    t.match(backup.text, /pg_dump/);
  } else {
    t.equal(backup.status, 200);
    t.equal(backup.headers.get("content-type"), "application/vnd.sqlite3");
    t.match(backup.headers.get("content-disposition"), /attachment; filename="capstan-.*\.db"/);
  }
});

t.test("users: create, change role, last owner protected, form errors", async (t) => {
  const s = await startTestServer(t);
  const owner = await loginBrowser(s, "owner", "only-owner");
  const short = await owner.post("/users", { username: "newbie", role: "viewer", password: "short" });
  t.equal(short.status, 422);
  t.match(short.text, "at least 12 characters");
  t.match(short.text, 'value="newbie"');
  const created = await owner.post("/users", { username: "newbie", role: "viewer", password: "a-long-enough-password" });
  t.equal(created.status, 303);
  const list = await owner.follow(created);
  t.match(list.text, "User newbie created.");
  const id = /id="user-(usr_[0-9A-Z]+)">\s*<td><strong>newbie/.exec(list.text)![1]!;
  const dup = await owner.post("/users", { username: "newbie", role: "viewer", password: "a-long-enough-password" });
  t.match((await owner.follow(dup)).text, "already exists");
  const promoted = await owner.post(`/users/${id}`, { role: "operator", status: "ACTIVE" });
  t.match((await owner.follow(promoted)).text, "newbie is now operator, active.");
  const selfId = /id="user-(usr_[0-9A-Z]+)">\s*<td><strong>only-owner/.exec(list.text)![1]!;
  const demote = await owner.post(`/users/${selfId}`, { role: "viewer", status: "ACTIVE" });
  t.match((await owner.follow(demote)).text, "last active owner");
  const reset = await owner.post(`/users/${id}/password`, { password: "another-long-password" });
  t.match((await owner.follow(reset)).text, "Password of newbie reset");
});

t.test("errors: CSRF, unknown ids, htmx fragments", async (t) => {
  const s = await startTestServer(t);
  const b = await loginBrowser(s, "operator", "oz");
  const csrf = await b.post("/tokens", { name: "x", _csrf: "forged" });
  t.equal(csrf.status, 403);
  t.match(csrf.text, "Reload the page");
  const missing = await b.get("/commands/cmd_01HZZZZZZZZZZZZZZZZZZZZZZZ");
  t.equal(missing.status, 404);
  t.match(missing.text, 'id="error"');
  t.match(missing.text, 'id="current-user"', "error pages keep the layout");
  t.equal((await b.get("/services/not-an-id")).status, 404);
  t.equal((await b.get("/agents/agt_01HZZZZZZZZZZZZZZZZZZZZZZZ/explode")).status, 404);
  const badQuery = await b.get("/services?status=SIDEWAYS");
  t.equal(badQuery.status, 422);
  const frag = await b.get("/services?status=SIDEWAYS", { hx: true });
  t.equal(frag.status, 422);
  t.equal(frag.headers.get("hx-retarget"), "#alerts");
  t.match(frag.text, /^<div class="flash flash-error" role="alert" id="error">/);
  const unknownPage = await b.get("/nope");
  t.equal(unknownPage.status, 404);
  t.match(unknownPage.headers.get("content-type"), /^text\/html/);
});
