// Credentials follow the user: a password reset or a disable ends the user's sessions and revokes
// their API tokens (audited); re-enabling the user does not bring any of them back.
import t from "tap";
import { createApiToken } from "../../src/domain/apiTokens.js";
import { loginBrowser } from "../console/_browser.js";
import { startTestServer, type Client, type TestServer } from "../helpers.js";

/** A fresh API token of `userId` (created as the test fixture, not through the route under test). */
const tokenFor = async (s: TestServer, userId: string, name: string): Promise<Client> =>
  s.clientWith({ token: (await createApiToken(s.app, { type: "SYSTEM", id: null }, userId, { name })).rawToken });

const me = async (c: Client): Promise<number> => (await c.get("/api/admin/auth/me")).status;

const revocations = async (s: TestServer, userId: string) =>
  (await s.db.all<{ target_id: string; metadata_json: string }>(`SELECT target_id, metadata_json FROM audit_events WHERE action = 'api_token.revoked' ORDER BY id`))
    .map((r) => ({ id: r.target_id, ...(JSON.parse(r.metadata_json) as { userId: string; reason: string }) }))
    .filter((r) => r.userId === userId);

const lastAudit = async (s: TestServer, action: string, userId: string) =>
  JSON.parse((await s.db.get<{ metadata_json: string }>(`SELECT metadata_json FROM audit_events WHERE action = ? AND target_id = ? ORDER BY id DESC LIMIT 1`, [action, userId]))!.metadata_json);

t.test("admin API: a password reset revokes the user's API tokens and sessions", async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  const user = await s.loginAs("operator", "ursula");
  const tokens = [await tokenFor(s, user.userId!, "ci"), await tokenFor(s, user.userId!, "laptop")];
  for (const c of [user, ...tokens]) t.equal(await me(c), 200, "works before");

  const reset = await owner.post(`/api/admin/users/${user.userId}/reset-password`, { password: "a-brand-new-password-1" });
  t.equal(reset.status, 200);
  for (const c of tokens) t.equal(await me(c), 401, "the API token is revoked");
  t.equal(await me(user), 401, "the session is gone");
  const listed = (await owner.get("/api/admin/api-tokens")).body.data.filter((x: { userId: string }) => x.userId === user.userId);
  t.same(listed.map((x: { status: string }) => x.status), ["REVOKED", "REVOKED"], "listed as REVOKED");
  const audited = await revocations(s, user.userId!);
  t.equal(audited.length, 2, "each revocation is audited");
  t.ok(audited.every((r) => r.reason === "user.password.reset"), "with the reason");
  t.match(await lastAudit(s, "user.password.reset", user.userId!), { endedSessions: 1, revokedApiTokens: 2 }, "the reset's audit event counts what it ended");
});

t.test("admin API: disabling revokes tokens; re-enabling does not bring them back", async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  const user = await s.loginAs("operator", "dora");
  const token = await tokenFor(s, user.userId!, "script");
  t.equal(await me(token), 200);

  t.equal((await owner.req("PATCH", `/api/admin/users/${user.userId}`, { status: "DISABLED" })).status, 200);
  t.equal(await me(token), 401, "refused while disabled");
  t.equal((await owner.req("PATCH", `/api/admin/users/${user.userId}`, { status: "ACTIVE" })).status, 200);
  t.equal(await me(token), 401, "still refused after re-enabling: the token was revoked, not paused");
  t.equal(await me(user), 401, "the old session is not back either");
  t.same((await revocations(s, user.userId!)).map((r) => r.reason), ["user.disabled"], "audited once, as a disable");
  t.match(await lastAudit(s, "user.updated", user.userId!), { after: { status: "ACTIVE" } });

  // the user logs in again and makes a new token: that one works
  const login = await s.anon.post("/api/admin/auth/login", { username: "dora", password: "dora-password-123" });
  t.equal(login.status, 200, "the user can log in again");
  t.equal(await me(await tokenFor(s, user.userId!, "new")), 200, "a new token works");
});

t.test("console: resetting a password and disabling a user revoke their API tokens", async (t) => {
  const s = await startTestServer(t);
  const owner = await loginBrowser(s, "owner", "oscar");
  const reset = await s.loginAs("operator", "rita");
  const disabled = await s.loginAs("viewer", "dave");
  const ritaToken = await tokenFor(s, reset.userId!, "rita-ci");
  const daveToken = await tokenFor(s, disabled.userId!, "dave-ci");

  const r1 = await owner.post(`/users/${reset.userId}/password`, { password: "console-new-password-1" });
  t.equal(r1.status, 303);
  t.equal(await me(ritaToken), 401, "reset in the console revokes the token");
  const flash = await owner.follow(r1);
  t.match(flash.text, "API tokens revoked", "the owner is told");

  const r2 = await owner.post(`/users/${disabled.userId}`, { role: "viewer", status: "DISABLED" });
  t.equal(r2.status, 303);
  t.equal(await me(daveToken), 401, "disable in the console revokes the token");
  t.equal((await owner.post(`/users/${disabled.userId}`, { role: "viewer", status: "ACTIVE" })).status, 303);
  t.equal(await me(daveToken), 401, "re-enabling in the console does not bring it back");
  t.equal((await revocations(s, reset.userId!))[0]?.reason, "user.password.reset");
  t.equal((await revocations(s, disabled.userId!))[0]?.reason, "user.disabled");
});
