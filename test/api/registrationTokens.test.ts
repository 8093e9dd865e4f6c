import t from "tap";
import { readFileSync } from "node:fs";
import { expireRegistrationTokens } from "../../src/domain/registrationTokens.js";
import { dbPath, startTestServer } from "../helpers.js";
import { reportedService } from "../fixtures.js";
import { sqliteHandle } from "../../src/db/open.js";
import { databaseText } from "../testDb.js";

const register = (s: { anon: { post: (p: string, b?: unknown) => Promise<any> } }, registrationToken: string, code: string) =>
  s.anon.post("/api/agents/register", { registrationToken, agent: { code, mode: "embedded" } });

t.test("an operator creates a token; the raw value is shown once and stored only hashed", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const res = await op.post("/api/admin/registration-tokens", { name: "host-1", expiresInSeconds: 3600 });
  t.equal(res.status, 200);
  const tok = res.body.data;
  t.match(tok.rawToken, /^opstage_reg_[0-9A-Za-z]{43}$/);
  t.match(tok.id, /^tok_[0-9A-Z]{26}$/);
  t.equal(tok.name, "host-1");
  t.equal(tok.status, "ACTIVE");
  t.equal(tok.maxUses, 1);
  t.equal(tok.useCount, 0);
  t.equal(tok.agentCode, null);
  t.equal(Date.parse(tok.expiresAt) - Date.parse(tok.createdAt), 3600_000);

  const list = await op.get("/api/admin/registration-tokens");
  t.equal(list.body.pagination.total, 1);
  t.notOk("rawToken" in list.body.data[0], "list never carries the raw value");
  t.equal(list.body.data[0].id, tok.id);

  const defaults = await op.post("/api/admin/registration-tokens", {});
  t.equal(defaults.body.data.name, "Default registration token");
  t.equal(defaults.body.data.expiresAt, null);

  t.notOk(databaseText(s).includes(tok.rawToken), "raw token not in the database (file or pg_dump)");
  t.notOk(s.logs.join("\n").includes(tok.rawToken), "raw token not in the logs");
  const audit = await op.get("/api/admin/audit-events?action=registration_token.created");
  t.equal(audit.body.data.length, 2);
  t.notOk(JSON.stringify(audit.body).includes(tok.rawToken));
});

t.test("roles and validation", async (t) => {
  const s = await startTestServer(t);
  const viewer = await s.loginAs("viewer");
  const op = await s.loginAs("operator");
  t.equal((await s.anon.post("/api/admin/registration-tokens", {})).status, 401);
  const denied = await viewer.post("/api/admin/registration-tokens", {});
  t.equal(denied.status, 403);
  t.equal(denied.body.error.code, "FORBIDDEN");
  t.equal((await viewer.get("/api/admin/registration-tokens")).status, 200, "viewers may read");

  for (const [body, path] of [
    [{ expiresInSeconds: 59 }, "expiresInSeconds"],
    [{ expiresInSeconds: 1.5 }, "expiresInSeconds"],
    [{ maxUses: 5 }, "expiresInSeconds"],
    [{ maxUses: 0, expiresInSeconds: 600 }, "maxUses"],
    [{ name: "" }, "name"],
    [{ agentCode: "bad code!" }, "agentCode"],
    [{ expiresInSeconds: "600" }, "expiresInSeconds"],
  ] as const) {
    const r = await op.post("/api/admin/registration-tokens", body);
    t.equal(r.status, 422, JSON.stringify(body));
    t.equal(r.body.error.code, "VALIDATION_FAILED");
    t.same(r.body.error.details.issues.map((i: { path: string }) => i.path), [path], `${JSON.stringify(body)}: the issue names ${path}`);
  }
  const fleet = await op.post("/api/admin/registration-tokens", { maxUses: 5, expiresInSeconds: 600, agentCode: "edge-1" });
  t.equal(fleet.status, 200);
  t.equal(fleet.body.data.maxUses, 5);
  t.equal(fleet.body.data.agentCode, "edge-1");

  for (const qs of ["?status=NOPE", "?sort=name", "?pageSize=101", "?page=0", "?bogus=1"]) {
    const r = await op.get(`/api/admin/registration-tokens${qs}`);
    t.equal(r.status, 422, qs);
  }
  t.equal((await op.req("POST", "/api/admin/registration-tokens", "{not json")).status, 400);
});

t.test("revoke: refuses registration, is idempotent, 404 for unknown ids, 409 once used", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const viewer = await s.loginAs("viewer");
  const tok = (await op.post("/api/admin/registration-tokens", {})).body.data;
  t.equal((await viewer.post(`/api/admin/registration-tokens/${tok.id}/revoke`)).status, 403);
  const r = await op.post(`/api/admin/registration-tokens/${tok.id}/revoke`);
  t.equal(r.status, 200);
  t.equal(r.body.data.status, "REVOKED");
  t.equal((await op.post(`/api/admin/registration-tokens/${tok.id}/revoke`)).status, 200, "twice is fine");
  const audits = await op.get(`/api/admin/audit-events?action=registration_token.revoked`);
  t.equal(audits.body.data.length, 1, "a no-op writes no second audit event");

  const reg = await register(s, tok.rawToken, "agent-a");
  t.equal(reg.status, 401);
  t.equal(reg.body.error.code, "REGISTRATION_TOKEN_REVOKED");

  const missing = await op.post("/api/admin/registration-tokens/tok_01HXYZ0000000000000000000A/revoke");
  t.equal(missing.status, 404);
  t.equal(missing.body.error.code, "REGISTRATION_TOKEN_NOT_FOUND");

  const used = (await op.post("/api/admin/registration-tokens", {})).body.data;
  t.equal((await register(s, used.rawToken, "agent-b")).status, 200);
  const conflict = await op.post(`/api/admin/registration-tokens/${used.id}/revoke`);
  t.equal(conflict.status, 409);
  t.equal(conflict.body.error.code, "CONFLICT");
});

t.test("expiry: effective status at once, the sweep writes it, registration refused", async (t) => {
  let now = Date.parse("2026-05-01T12:00:00.000Z");
  const s = await startTestServer(t, { now: () => new Date(now) });
  const op = await s.loginAs("operator");
  const short = (await op.post("/api/admin/registration-tokens", { name: "short", expiresInSeconds: 60 })).body.data;
  const long = (await op.post("/api/admin/registration-tokens", { name: "long", expiresInSeconds: 7200 })).body.data;
  now += 61_000;

  const expired = await op.get("/api/admin/registration-tokens?status=EXPIRED");
  t.same(expired.body.data.map((x: any) => x.id), [short.id], "filter uses the effective status");
  const active = await op.get("/api/admin/registration-tokens?status=ACTIVE&status=USED");
  t.same(active.body.data.map((x: any) => x.id), [long.id]);

  const reg = await register(s, short.rawToken, "late-agent");
  t.equal(reg.status, 401);
  t.equal(reg.body.error.code, "REGISTRATION_TOKEN_EXPIRED");

  t.equal(await expireRegistrationTokens(s.app, 100), 1);
  t.equal(await expireRegistrationTokens(s.app, 100), 0, "idempotent");
  const sweepAudit = await op.get("/api/admin/audit-events?action=system.registration_token.expired");
  t.equal(sweepAudit.body.data[0].targetId, short.id);

  const byExpiry = await op.get("/api/admin/registration-tokens?sort=expiresAt");
  t.same(byExpiry.body.data.map((x: any) => x.name), ["short", "long"]);
  const byExpiryDesc = await op.get("/api/admin/registration-tokens?sort=-expiresAt&pageSize=1&page=2");
  t.same(byExpiryDesc.body.data.map((x: any) => x.name), ["short"]);
  t.same(byExpiryDesc.body.pagination, { page: 2, pageSize: 1, total: 2 });
});

t.test("maxUses lets a fleet share a token; the last use goes to exactly one racer", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const fleet = (await op.post("/api/admin/registration-tokens", { maxUses: 3, expiresInSeconds: 600 })).body.data;
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      s.anon.post("/api/agents/register", { registrationToken: fleet.rawToken, agent: { code: `fleet-${i}` }, service: reportedService(`fleet-svc-${i}`) }),
    ),
  );
  const statuses = results.map((r) => r.status).sort();
  t.same(statuses, [200, 200, 200, 409, 409, 409]);
  for (const r of results.filter((x) => x.status === 409)) t.equal(r.body.error.code, "REGISTRATION_TOKEN_USED");
  const listed = (await op.get("/api/admin/registration-tokens")).body.data[0];
  t.equal(listed.status, "USED");
  t.equal(listed.useCount, 3);
  t.equal((await op.get("/api/admin/agents")).body.pagination.total, 3);
  t.equal((await op.get("/api/admin/capsule-services")).body.pagination.total, 3, "failed registrations left no services behind");
});
