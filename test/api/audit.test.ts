import t from "tap";
import { startTestServer } from "../helpers.js";

t.test("audit list filters, detail and export", async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  await s.anon.post("/api/admin/auth/login", { username: "owner-user", password: "=cmd|' /C calc'!A0" });
  await owner.post("/api/admin/users", { username: "=HYPERLINK(evil)", password: "x-password-12345", role: "viewer" });

  const all = await owner.get("/api/admin/audit-events?pageSize=100");
  t.equal(all.status, 200);
  t.ok(all.body.pagination.total >= 3);
  const failed = await owner.get("/api/admin/audit-events?result=FAILURE");
  t.ok(failed.body.data.length >= 1);
  t.ok(failed.body.data.every((e: { result: string }) => e.result === "FAILURE"));
  t.notOk(JSON.stringify(failed.body).includes("calc"), "the failed password is never recorded");
  const two = await owner.get("/api/admin/audit-events?action=user.created&action=session.login.failed");
  t.same(new Set(two.body.data.map((e: { action: string }) => e.action)), new Set(["user.created", "session.login.failed"]));

  const detail = await owner.get(`/api/admin/audit-events/${all.body.data[0].id}`);
  t.equal(detail.status, 200);
  t.equal(detail.body.data.id, all.body.data[0].id);
  t.equal((await owner.get("/api/admin/audit-events/aud_01ARZ3NDEKTSV4RRFFQ69G5FAV")).status, 404);
  t.equal((await owner.get("/api/admin/audit-events?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")).status, 422);
  t.equal((await owner.get("/api/admin/audit-events?from=yesterday")).status, 422);
  t.equal((await owner.get("/api/admin/audit-events?result=MAYBE")).status, 422);

  const { writeAudit } = await import("../../src/domain/audit.js");
  await s.app.db.transaction(async () => writeAudit(s.app, { actor: { type: "SYSTEM", id: null }, action: "user.created", message: "=HYPERLINK(\"http://evil\")" }));
  const csv = await owner.get("/api/admin/audit-events/export?format=csv&action=user.created");
  t.equal(csv.status, 200);
  t.match(csv.headers.get("content-type"), /text\/csv/);
  t.match(csv.headers.get("content-disposition"), /attachment; filename="capstan-audit-.*\.csv"/);
  const lines = csv.text.trim().split("\r\n");
  t.equal(lines[0], "id,createdAt,actorType,actorId,action,targetType,targetId,result,message,metadata");
  t.ok(lines.length >= 2);
  t.ok(csv.text.includes(`"'=HYPERLINK(""http://evil"")"`), "formula neutralised and quoted");

  const nd = await owner.get("/api/admin/audit-events/export?format=ndjson");
  const events = nd.text.trim().split("\n").map((l) => JSON.parse(l));
  t.equal(events.length, (await owner.get("/api/admin/audit-events")).body.pagination.total);
  const json = await owner.get("/api/admin/audit-events/export?format=json&result=FAILURE");
  t.ok(Array.isArray(json.body));
  t.equal((await owner.get("/api/admin/audit-events/export?format=xml")).status, 422);
});

t.test("export streams past one batch in order without holding the database", async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  const { writeAudit } = await import("../../src/domain/audit.js");
  await s.app.db.transaction(async () => {
    for (let i = 0; i < 2500; i++) await writeAudit(s.app, { actor: { type: "SYSTEM", id: null }, action: "test.bulk", metadata: { i } });
  });
  const [nd, health] = await Promise.all([owner.get("/api/admin/audit-events/export?format=ndjson&action=test.bulk&sort=createdAt"), owner.get("/api/system/health")]);
  t.equal(health.status, 200);
  const rows = nd.text.trim().split("\n").map((l) => JSON.parse(l));
  t.equal(rows.length, 2500);
  t.same(rows.slice(0, 3).map((r) => r.metadata.i), [0, 1, 2]);
  t.equal(rows[2499].metadata.i, 2499);
});
