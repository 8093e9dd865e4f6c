// Message routes: CRUD with audit, the "which route would match this text" preview, first match by
// priority, hostile patterns refused (RE2 only, size caps) and a long text against a pattern route
// answering at once; per-channel and per-sender rate limits.
import t from "tap";
import { auditActions, messagesServer, tokenClient } from "./_kit.js";

t.setTimeout(120_000);

t.test("routes: create, preview by priority, change, delete; every change audited", async (t) => {
  const s = await messagesServer(t);
  const op = await s.loginAs("operator");
  const viewer = await s.loginAs("viewer");
  const mk = async (body: object) => {
    const r = await op.post("/api/admin/message-routes", body);
    t.equal(r.status, 200, r.text);
    return r.body.data;
  };
  const status = await mk({ name: "status", priority: 10, match: { commandPrefix: "/status" }, target: { serviceCode: "ops-bot" } });
  const billing = await mk({ name: "billing", priority: 20, match: { textPattern: "\\b(invoice|refund)s?\\b", channel: "http" }, target: { serviceCode: "billing-bot" } });
  const vip = await mk({ name: "vip", priority: 5, match: { senders: ["ceo"], type: "QUERY" }, target: { serviceCode: "vip-bot" } });
  t.match(status, { priority: 10, status: "ENABLED", target: { serviceCode: "ops-bot" }, targetInfo: { serviceId: null, acceptsMessages: false } });

  const preview = async (body: object) => {
    const r = await viewer.post("/api/admin/message-routes/preview", body);
    t.equal(r.status, 200, r.text);
    return r.body.data;
  };
  t.equal((await preview({ text: "/status now", type: "COMMAND" })).route.id, status.id);
  t.equal((await preview({ text: "/STATUS@my_bot", type: "COMMAND" })).route.id, status.id, "Telegram's /cmd@bot form, any case");
  t.equal((await preview({ text: "/statusreport" })).route, null, "a command prefix is a whole word");
  t.equal((await preview({ text: "where is my Refund?" })).route.id, billing.id, "pattern, case-insensitive");
  t.equal((await preview({ text: "where is my refund?", channel: "telegram" })).route, null, "the channel must match");
  t.equal((await preview({ text: "refund", senderId: "ceo" })).route.id, vip.id, "lower priority number wins");
  const none = await preview({ text: "hello" });
  t.same(none, { route: null, unroutedReply: s.config.messagesUnroutedReply });

  const patched = await op.req("PATCH", `/api/admin/message-routes/${vip.id}`, { status: "DISABLED" });
  t.equal(patched.status, 200);
  t.equal((await preview({ text: "refund", senderId: "ceo" })).route.id, billing.id, "disabled routes never match");
  t.equal((await op.req("DELETE", `/api/admin/message-routes/${billing.id}`)).status, 200);
  t.equal((await preview({ text: "refund" })).route, null);
  t.equal((await op.get(`/api/admin/message-routes/${billing.id}`)).status, 404);
  t.same(await auditActions(s, vip.id), ["message.route.created", "message.route.updated"]);
  t.same(await auditActions(s, billing.id), ["message.route.created", "message.route.deleted"]);
  t.equal((await viewer.post("/api/admin/message-routes", { name: "x", target: { serviceCode: "a" } })).status, 403, "viewers only read");
  const list = await viewer.get("/api/admin/message-routes");
  t.same(list.body.data.map((r: { name: string }) => r.name), ["vip", "status"], "matching order");
});

t.test("hostile patterns are refused; a long message against a pattern answers at once", async (t) => {
  const s = await messagesServer(t);
  const op = await s.loginAs("operator");
  for (const textPattern of ["(a)\\1", "(?=a)a", "x".repeat(201), "(unclosed"]) {
    const r = await op.post("/api/admin/message-routes", { name: "bad", match: { textPattern }, target: { serviceCode: "svc" } });
    t.equal(r.status, 422, `${textPattern.slice(0, 20)}: ${r.text.slice(0, 160)}`);
    t.equal(r.body.error.code, "VALIDATION_FAILED");
  }
  const r = await op.post("/api/admin/message-routes", { name: "nested", match: { textPattern: "^(a+)+$" }, target: { serviceCode: "svc" } });
  t.equal(r.status, 200, "a catastrophic pattern for backtracking engines runs on RE2 in linear time");
  const text = `${"a".repeat(15_999)}!`;
  const started = Date.now();
  const p = await op.post("/api/admin/message-routes/preview", { text });
  t.equal(p.status, 200);
  t.equal(p.body.data.route, null);
  t.ok(Date.now() - started < 5000, `answered in ${Date.now() - started} ms`);
  t.equal((await op.post("/api/admin/message-routes/preview", { text: "a".repeat(16_001) })).status, 422, "text size cap");
  t.equal((await op.post("/api/admin/message-routes", { name: "many", match: { senders: Array.from({ length: 201 }, (_, i) => `s${i}`) }, target: { serviceCode: "svc" } })).status, 422, "list size cap");
});

t.test("rate limits per sender and per channel: 429 with Retry-After, the first refusal audited once", async (t) => {
  const s = await messagesServer(t, { CAPSTAN_MESSAGES_PER_SENDER_PER_MIN: "2", CAPSTAN_MESSAGES_PER_MIN: "4" });
  const chat = await tokenClient(s, ["messages"]);
  const send = (sender: string) => chat.post("/api/messages", { conversationId: "c", sender: { id: sender }, text: "hi" });
  t.equal((await send("a")).status, 202);
  t.equal((await send("a")).status, 202);
  const third = await send("a");
  t.equal(third.status, 429);
  t.equal(third.body.error.code, "MESSAGE_RATE_LIMITED");
  t.ok(Number(third.headers.get("retry-after")) >= 1, "Retry-After");
  t.equal((await send("a")).status, 429);
  t.equal((await send("b")).status, 202, "another sender is not limited by a's window");
  t.equal((await send("c")).status, 202);
  const channel = await send("d");
  t.equal(channel.status, 429, "the channel's own limit (4 a minute) holds across senders");
  t.match(channel.body.error.message, /http channel/);
  const stored = await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM conversation_messages`);
  t.equal(Number(stored!.n), 4, "refused messages are not stored");
  const audits = await s.db.all<{ metadata_json: string }>(`SELECT metadata_json FROM audit_events WHERE action = 'message.received' AND result = 'FAILURE'`);
  t.equal(audits.length, 2, "one audited refusal per window and limit (sender a, then the channel)");
});
