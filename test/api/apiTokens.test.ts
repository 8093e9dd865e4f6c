import t from "tap";
import { readFileSync } from "node:fs";
import { dbPath, startTestServer } from "../helpers.js";
import { databaseText } from "../testDb.js";

t.test("personal API tokens: create once, use without CSRF, revoke", async (t) => {
  const s = await startTestServer(t);
  const operator = await s.loginAs("operator");
  const created = await operator.post("/api/admin/api-tokens", { name: "ci" });
  t.equal(created.status, 200);
  const raw: string = created.body.data.rawToken;
  t.match(raw, /^capstan_pat_[0-9A-Za-z]{43}$/);

  const bearer = s.clientWith({ token: raw });
  const me = await bearer.get("/api/admin/auth/me");
  t.equal(me.status, 200);
  t.equal(me.body.data.user.role, "operator");
  t.equal(me.body.data.via, "apiToken");
  // bearer tokens need no CSRF header: there is no ambient cookie to abuse
  const second = await bearer.post("/api/admin/api-tokens", { name: "second" });
  t.equal(second.status, 200);

  const list = await operator.get("/api/admin/api-tokens");
  t.equal(list.body.data.length, 2);
  t.notOk(JSON.stringify(list.body).includes(raw), "list never shows raw values");
  t.notOk(JSON.stringify(list.body).includes("tokenHash"));

  const viewer = await s.loginAs("viewer");
  t.equal((await viewer.req("DELETE", `/api/admin/api-tokens/${created.body.data.id}`)).status, 404, "foreign token looks absent");
  t.equal((await operator.req("DELETE", `/api/admin/api-tokens/${created.body.data.id}`)).status, 200);
  t.equal((await bearer.get("/api/admin/auth/me")).status, 401, "revoked token refused");
  t.equal((await s.clientWith({ token: "capstan_pat_nope" }).get("/api/admin/auth/me")).status, 401);
  t.equal((await s.clientWith({ token: "opstage_agent_xyz" }).get("/api/admin/auth/me")).status, 401, "agent tokens refused on admin API");

  await s.close();
  t.notOk(databaseText(s).includes(raw), "raw token not in the database (file or pg_dump)");
});
