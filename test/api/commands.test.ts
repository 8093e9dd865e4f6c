import t from "tap";
import { kit, manualClock } from "../commandKit.js";

t.test("list: filters, sort, pagination and strict query parsing", async (t) => {
  const clock = manualClock();
  const k = await kit(t, { now: clock.now });
  const b = await k.running("restart", { confirmation: true });
  await k.result(b, { success: true });
  clock.advance(1);
  const a = (await k.execute("echo", { payload: { message: "a" } })).body.data.id;
  clock.advance(1);
  const c = (await k.execute("confirmMe", { confirmation: true })).body.data.id;

  const all = await k.operator.get("/api/admin/commands");
  t.equal(all.status, 200);
  t.same(all.body.pagination, { page: 1, pageSize: 20, total: 3 });
  t.same(all.body.data.map((x: { id: string }) => x.id), [c, a, b], "default -createdAt");
  const asc = await k.operator.get("/api/admin/commands?sort=createdAt&pageSize=2&page=2");
  t.same(asc.body.data.map((x: { id: string }) => x.id), [c]);
  t.same((await k.operator.get("/api/admin/commands?status=SUCCEEDED&status=PENDING")).body.pagination.total, 3);
  t.same((await k.operator.get("/api/admin/commands?status=SUCCEEDED")).body.data.map((x: { id: string }) => x.id), [b]);
  t.same((await k.operator.get("/api/admin/commands?actionName=echo,confirmMe")).body.pagination.total, 2, "comma list ORs");
  t.same((await k.operator.get(`/api/admin/commands?serviceId=${k.serviceId}&agentId=${k.agentId}&type=ACTION_EXECUTE`)).body.pagination.total, 3);
  t.same((await k.operator.get("/api/admin/commands?type=ACTION_PREPARE")).body.pagination.total, 0);
  t.same((await k.operator.get("/api/admin/commands?sort=-finishedAt&status=SUCCEEDED")).body.data[0].id, b);
  const from = encodeURIComponent(new Date(Date.parse(all.body.data[1].createdAt)).toISOString());
  t.same((await k.operator.get(`/api/admin/commands?from=${from}`)).body.data.map((x: { id: string }) => x.id), [c, a]);

  const bad: [string, string][] = [
    ["?status=DONE", "unknown status"], ["?sort=payload", "sort outside the whitelist"], ["?pageSize=101", "pageSize over 100"],
    ["?page=0", "page below 1"], ["?colour=red", "unknown parameter"], ["?serviceId=nope", "malformed id"],
    ["?from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z", "from after to"], ["?from=yesterday", "not a timestamp"],
  ];
  for (const [q, why] of bad) {
    const r = await k.operator.get(`/api/admin/commands${q}`);
    t.equal(r.status, 422, why);
    t.equal(r.body.error.code, "VALIDATION_FAILED", why);
  }
  const viewer = await k.s.loginAs("viewer");
  t.equal((await viewer.get("/api/admin/commands")).status, 200, "viewers read");
  t.equal((await k.s.anon.get("/api/admin/commands")).status, 401);
});

t.test("detail and logs: 404 for unknown ids, viewers may read", async (t) => {
  const k = await kit(t);
  const viewer = await k.s.loginAs("viewer");
  const missing = await viewer.get("/api/admin/commands/cmd_01ARZ3NDEKTSV4RRFFQ69G5FAV");
  t.equal(missing.status, 404);
  t.equal(missing.body.error.code, "COMMAND_NOT_FOUND");
  t.equal((await viewer.get("/api/admin/commands/cmd_01ARZ3NDEKTSV4RRFFQ69G5FAV/logs")).status, 404);
  const id = await k.running("slow");
  await k.progress(id, { logs: [{ level: "info", message: "one" }, { level: "info", message: "two" }, { level: "error", message: "three" }] });
  const logs = await viewer.get(`/api/admin/commands/${id}/logs`);
  t.equal(logs.status, 200);
  t.same(logs.body.data.map((l: { level: string; message: string }) => `${l.level}:${l.message}`), ["info:one", "info:two", "error:three"]);
  const after = await viewer.get(`/api/admin/commands/${id}/logs?afterId=${logs.body.data[1].id}`);
  t.same(after.body.data.map((l: { message: string }) => l.message), ["three"], "afterId tails");
  t.equal((await viewer.get(`/api/admin/commands/${id}/logs?limit=0`)).status, 422);
  const detail = (await viewer.get(`/api/admin/commands/${id}`)).body.data;
  t.equal(detail.status, "RUNNING");
  t.notOk("result" in detail, "no result yet");
  t.equal(detail.logsCount, 3);
});

t.test("cancel: PENDING at once, RUNNING via progress, terminal refused, late result not applied", async (t) => {
  const k = await kit(t);
  const pending = (await k.execute("echo", { payload: { message: "never" } })).body.data.id;
  const viewer = await k.s.loginAs("viewer");
  t.equal((await viewer.post(`/api/admin/commands/${pending}/cancel`)).status, 403, "viewers cannot cancel");
  const r = await k.operator.post(`/api/admin/commands/${pending}/cancel`);
  t.equal(r.status, 200);
  t.equal(r.body.data.status, "CANCELLED");
  t.equal(r.body.data.cancelRequested, true);
  t.ok(r.body.data.completedAt);
  t.same((await k.poll()).body.data, [], "a cancelled command is never delivered");
  const again = await k.operator.post(`/api/admin/commands/${pending}/cancel`);
  t.equal(again.status, 409);
  t.equal(again.body.error.code, "COMMAND_NOT_CANCELLABLE");
  t.equal((await k.operator.post("/api/admin/commands/cmd_01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel")).status, 404);

  const running = await k.running("slow");
  t.same((await k.progress(running, { percent: 0.1 })).body.data, { cancelRequested: false });
  t.equal((await k.operator.post(`/api/admin/commands/${running}/cancel`)).body.data.status, "CANCELLED");
  t.same((await k.progress(running, { percent: 0.2 })).body.data, { cancelRequested: true }, "the agent learns it on its next progress call");
  const late = await k.result(running, { success: true, message: "finished anyway" });
  t.equal(late.status, 200, "acknowledged so the agent stops retrying");
  t.same(late.body.data, { ignored: true, reason: "COMMAND_CANCELLED" });
  const after = (await k.operator.get(`/api/admin/commands/${running}`)).body.data;
  t.equal(after.status, "CANCELLED", "not applied");
  t.notOk("result" in after);
  t.equal((await k.audit("command.result.late", running)).length, 1, "recorded in audit");
  t.equal((await k.audit("command.cancelled")).filter((a) => a.result === "SUCCESS").length, 2);
  t.equal((await k.audit("command.cancelled")).filter((a) => a.result === "FAILURE").length, 1, "the refused cancel is audited");
});

t.test("retry: a copy with retryOf, through every execute check", async (t) => {
  const k = await kit(t);
  const first = await k.running("echo", { payload: { message: "again" } });
  await k.result(first, { success: false, error: { code: "FLAKY", message: "try again" } });
  const r = await k.operator.post(`/api/admin/commands/${first}/retry`, {});
  t.equal(r.status, 200);
  t.match(r.body.data, { status: "PENDING", retryOf: first, actionName: "echo", payload: { message: "again", times: 1 } });
  t.not(r.body.data.id, first);
  t.equal((await k.audit("command.retried", first)).length, 1);
  t.equal((await k.audit("command.created", r.body.data.id)).length, 1);

  const stillPending = await k.operator.post(`/api/admin/commands/${r.body.data.id}/retry`, {});
  t.equal(stillPending.status, 409);
  t.equal(stillPending.body.error.code, "COMMAND_NOT_RETRYABLE");

  const high = await k.running("restart", { confirmation: true });
  await k.result(high, { success: true });
  const unconfirmed = await k.operator.post(`/api/admin/commands/${high}/retry`, {});
  t.equal(unconfirmed.status, 422);
  t.equal(unconfirmed.body.error.code, "ACTION_REQUIRES_CONFIRMATION");
  t.equal((await k.operator.post(`/api/admin/commands/${high}/retry`, { confirmation: true })).status, 200);
  t.equal((await k.operator.post(`/api/admin/commands/${high}/retry`, { confirmation: "yes" })).status, 422);

  const secret = await k.running("login", { payload: { user: "bob", password: "pw-secret-1234" } });
  await k.result(secret, { success: false });
  const replay = await k.operator.post(`/api/admin/commands/${secret}/retry`, {});
  t.equal(replay.status, 409);
  t.equal(replay.body.error.code, "COMMAND_NOT_RETRYABLE");
  t.match(replay.body.error.message, /run the action again/);
  t.same(replay.body.error.details.secretFields, ["/password"]);

  const viewer = await k.s.loginAs("viewer");
  t.equal((await viewer.post(`/api/admin/commands/${first}/retry`, {})).status, 403);
  t.equal((await k.operator.post("/api/admin/commands/cmd_01ARZ3NDEKTSV4RRFFQ69G5FAV/retry", {})).status, 404);
});

t.test("retry: prepare commands are not retryable; a now-disabled action is refused", async (t) => {
  const k = await kit(t, { env: { CAPSTAN_PREPARE_TIMEOUT_SECONDS: "0.1" } });
  const prep = await k.operator.get(`/api/admin/capsule-services/${k.serviceId}/actions/echo`);
  const prepId = prep.body.error.details.commandId;
  const r = await k.operator.post(`/api/admin/commands/${prepId}/retry`, {});
  t.equal(r.status, 409);
  t.equal(r.body.error.code, "COMMAND_NOT_RETRYABLE");

  const done = await k.running("echo", { payload: { message: "x" } });
  await k.result(done, { success: true });
  await k.s.db.run(`UPDATE action_definitions SET enabled = 0 WHERE service_id = ? AND name = 'echo'`, [k.serviceId]);
  const disabled = await k.operator.post(`/api/admin/commands/${done}/retry`, {});
  t.equal(disabled.status, 403);
  t.equal(disabled.body.error.code, "ACTION_DISABLED");
});
