import t from "tap";
import { startTestServer } from "../helpers.js";

t.test("owner manages users; last owner is protected", async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  const created = await owner.post("/api/admin/users", { username: "bob", password: "bob-password-1234", role: "viewer", displayName: "Bob" });
  t.equal(created.status, 200);
  t.match(created.body.data, { username: "bob", role: "viewer", status: "ACTIVE", displayName: "Bob" });
  t.notOk("passwordHash" in created.body.data, "no hash on the wire");
  const dup = await owner.post("/api/admin/users", { username: "bob", password: "bob-password-1234", role: "viewer" });
  t.equal(dup.status, 409);
  t.equal(dup.body.error.code, "USER_ALREADY_EXISTS");
  const weak = await owner.post("/api/admin/users", { username: "carl", password: "short", role: "viewer" });
  t.equal(weak.status, 422);
  t.equal(weak.body.error.code, "VALIDATION_FAILED");
  t.equal(weak.body.error.details.issues[0].path, "password");

  const list = await owner.get("/api/admin/users?role=viewer&sort=username");
  t.equal(list.status, 200);
  t.same(list.body.data.map((u: { username: string }) => u.username), ["bob"]);
  t.same(list.body.pagination, { page: 1, pageSize: 20, total: 1 });
  t.equal((await owner.get("/api/admin/users?bogus=1")).status, 422, "unknown query param");
  t.equal((await owner.get("/api/admin/users?pageSize=101")).status, 422);
  t.equal((await owner.get("/api/admin/users?sort=password")).status, 422);

  const id = created.body.data.id;
  const patched = await owner.req("PATCH", `/api/admin/users/${id}`, { role: "operator" });
  t.equal(patched.body.data.role, "operator");
  t.equal((await owner.req("PATCH", `/api/admin/users/${id}`, {})).status, 422, "empty patch");
  const me = await owner.get("/api/admin/auth/me");
  const demote = await owner.req("PATCH", `/api/admin/users/${me.body.data.user.id}`, { role: "viewer" });
  t.equal(demote.status, 409);
  t.equal(demote.body.error.code, "LAST_OWNER_REQUIRED");
  t.equal((await owner.req("PATCH", "/api/admin/users/usr_01ARZ3NDEKTSV4RRFFQ69G5FAV", { role: "viewer" })).status, 404);
  t.equal((await owner.req("PATCH", "/api/admin/users/nope", { role: "viewer" })).status, 404);

  const reset = await owner.post(`/api/admin/users/${id}/reset-password`, { password: "new-bob-password-1" });
  t.equal(reset.status, 200);
  const login = await s.anon.post("/api/admin/auth/login", { username: "bob", password: "new-bob-password-1" });
  t.equal(login.status, 200);

  const operator = await s.loginAs("operator");
  t.equal((await operator.get("/api/admin/users")).status, 403, "operator cannot list users");
});

t.test("a disabled user's sessions end at once", async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  const viewer = await s.loginAs("viewer");
  t.equal((await viewer.get("/api/admin/auth/me")).status, 200);
  const r = await owner.req("PATCH", `/api/admin/users/${viewer.userId}`, { status: "DISABLED" });
  t.equal(r.status, 200);
  t.equal((await viewer.get("/api/admin/auth/me")).status, 401);
});
