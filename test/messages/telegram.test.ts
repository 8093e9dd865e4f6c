// The Telegram channel against a local fake Bot API: allowlisted chats only, replies threaded and
// split at 4,096 characters, backoff on errors (and the API's retry_after), the bot token stored
// encrypted and never shown or logged.
import t from "tap";
import { sleep, startTestServer } from "../helpers.js";
import { postgresOnly } from "../testDb.js";
import { waitFor } from "../sdk/sdkKit.js";
import { BOT_TOKEN, startFakeBot } from "./_fakeBot.js";
import { addRoute, messagesServer, startDemo } from "./_kit.js";

t.setTimeout(180_000);

const telegramEnv = (url: string, extra: Record<string, string> = {}) => ({
  CAPSTAN_TELEGRAM_API_URL: url, CAPSTAN_TELEGRAM_POLL_SECONDS: "0", CAPSTAN_TELEGRAM_BACKOFF_BASE_MS: "100", ...extra,
});

t.test("allowed chats are answered in thread, long replies split at 4,096; strangers are dropped; the token never shows", async (t) => {
  const bot = await startFakeBot(t);
  const s = await messagesServer(t, telegramEnv(bot.url));
  const owner = await s.loginAs("owner");
  const op = await s.loginAs("operator");
  await startDemo(t, s);
  await addRoute(op, { name: "status", priority: 10, match: { channel: "telegram", commandPrefix: "/status" } });
  await addRoute(op, { name: "everything else", priority: 50, match: { channel: "telegram" } });

  const put = await owner.req("PUT", "/api/admin/channels/telegram", { botToken: BOT_TOKEN, allowedChatIds: [100], enabled: true });
  t.equal(put.status, 200, put.text);
  t.notOk(put.text.includes(BOT_TOKEN), "the answer never contains the token");
  t.match(put.body.data, { configured: true, enabled: true, botTokenSet: true, allowedChatIds: [100] });
  t.equal((await op.req("PUT", "/api/admin/channels/telegram", { allowedChatIds: [], enabled: false })).status, 403, "owners only");

  const status = bot.push(100, "/status@capstan_bot", 11);
  bot.push(999, "let me in", 12);
  const long = "x".repeat(5000);
  bot.push(100, long, 13);

  await waitFor(() => bot.sent.length >= 3, 20_000, "three sendMessage calls");
  await sleep(300); // nothing more should come
  t.equal(bot.sent.length, 3, "one reply for /status, two parts for the long one, nothing for the stranger");
  t.ok(bot.sent.every((m) => m.chat_id === 100), "only the allowed chat is answered");
  t.match(bot.sent[0], { chat_id: 100, reply_parameters: { message_id: 11 } }, "threaded to the /status message");
  t.match(bot.sent[0]!.text, /^Demo Capsule Service is UP/);
  const parts = bot.sent.slice(1);
  t.ok(parts.every((p) => p.text.length <= 4096), `parts of ${parts.map((p) => p.text.length).join(", ")} characters`);
  t.equal(parts.map((p) => p.text).join(""), `Demo Capsule Service heard: ${long}`, "the parts add up to the reply");
  t.match(parts[0], { reply_parameters: { message_id: 13 } }, "the first part is threaded");
  t.notOk(parts[1]!.reply_parameters, "later parts are not");

  const stored = await s.db.all<{ external_id: string; status: string; delivered_at: string | null }>(
    `SELECT external_id, status, delivered_at FROM conversation_messages WHERE channel = 'telegram' ORDER BY external_id`);
  t.equal(stored.length, 2, "the stranger's message was not stored");
  t.ok(stored.every((m) => m.status === "ANSWERED" && m.delivered_at), "both answered and delivered");
  t.equal(stored[0]!.external_id, String(status));
  await waitFor(() => bot.offsets().some((o) => o === status + 3), 5000, "the offset past the last update");
  const refused = await s.db.all<{ metadata_json: string }>(`SELECT metadata_json FROM audit_events WHERE action = 'message.refused'`);
  t.equal(refused.length, 1);
  t.match(JSON.parse(refused[0]!.metadata_json), { errorCode: "CHAT_NOT_ALLOWED", chatId: 999 });

  t.ok(bot.calls.every((c) => c.method === "getUpdates" || c.method === "sendMessage"), "only the two Bot API methods are called");
  const shown = await op.get("/api/admin/channels/telegram");
  t.notOk(shown.text.includes(BOT_TOKEN));
  t.equal(shown.body.data.botTokenSet, true);
  const settings = await s.db.all<{ value: string }>(`SELECT value FROM settings`);
  t.notOk(settings.some((r) => r.value.includes(BOT_TOKEN) || r.value.includes(BOT_TOKEN.split(":")[1]!)), "stored sealed, not raw");
  const audit = await s.db.all<{ m: string | null }>(`SELECT metadata_json AS m FROM audit_events`);
  t.notOk(audit.some((r) => r.m?.includes(BOT_TOKEN.split(":")[1]!)), "never audited");
  t.notOk(s.logs.some((l) => l.includes(BOT_TOKEN.split(":")[1]!)), "never logged");
});

t.test("errors back off (doubling from the base, the API's retry_after wins) and the reply still goes out once", async (t) => {
  const bot = await startFakeBot(t);
  const s = await messagesServer(t, telegramEnv(bot.url));
  const owner = await s.loginAs("owner");
  const err = { status: 502, body: { ok: false, error_code: 502, description: "Bad Gateway" } };
  bot.fail.getUpdates.push(err, err, err);
  bot.fail.sendMessage.push({ status: 429, body: { ok: false, error_code: 429, description: "Too Many Requests: retry after 2", parameters: { retry_after: 2 } } });
  bot.push(100, "anyone there?", 21); // no routes: the configured unrouted answer
  await owner.req("PUT", "/api/admin/channels/telegram", { botToken: BOT_TOKEN, allowedChatIds: [100], enabled: true });

  await waitFor(() => bot.sent.length >= 1, 30_000, "the reply");
  const polls = bot.calls.filter((c) => c.method === "getUpdates").map((c) => c.at);
  const gaps = polls.slice(1, 4).map((at, i) => at - polls[i]!);
  t.ok(gaps[0]! >= 90 && gaps[1]! >= 190 && gaps[2]! >= 390, `getUpdates retried after growing gaps: ${gaps.join(", ")} ms`);
  const sends = bot.calls.filter((c) => c.method === "sendMessage").map((c) => c.at);
  t.equal(sends.length, 2, "one refused send, one good one");
  t.ok(sends[1]! - sends[0]! >= 1900, `retry_after 2 was honoured (${sends[1]! - sends[0]!} ms)`);
  t.equal(bot.sent.length, 1);
  t.match(bot.sent[0], { chat_id: 100, text: s.config.messagesUnroutedReply, reply_parameters: { message_id: 21 } });
  await sleep(600);
  t.equal(bot.sent.length, 1, "answered once");
  const shown = await owner.get("/api/admin/channels/telegram");
  t.equal(shown.body.data.lastError, null, "recovered");
  t.ok(s.logs.some((l) => l.includes("telegram getUpdates failed")), "failures are logged");
  t.notOk(s.logs.some((l) => l.includes(BOT_TOKEN.split(":")[1]!)), "without the token");
});

t.test("two nodes on one PostgreSQL database: one active poller, every update stored and answered once", postgresOnly("one poller across nodes is the advisory lock's job"), async (t) => {
  const bot = await startFakeBot(t);
  const a = await messagesServer(t, telegramEnv(bot.url));
  const b = await startTestServer(t, { env: { CAPSTAN_MESSAGES_ENABLED: "true", ...telegramEnv(bot.url) }, sameDatabaseAs: a });
  const owner = await a.loginAs("owner");
  await owner.req("PUT", "/api/admin/channels/telegram", { botToken: BOT_TOKEN, allowedChatIds: [100], enabled: true });
  const ids = [1, 2, 3, 4, 5].map((i) => bot.push(100, `question ${i}`, 500 + i));
  await waitFor(() => bot.sent.length >= ids.length, 20_000, "five replies");
  await sleep(800);
  t.equal(bot.sent.length, ids.length, "each answered once");
  t.same(bot.sent.map((m) => m.reply_parameters?.message_id).sort(), [501, 502, 503, 504, 505]);
  t.equal([a, b].filter((s) => s.app.runtime.telegram.active).length, 1, "exactly one node holds the poller lock");
  const n = await a.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM conversation_messages WHERE channel = 'telegram'`);
  t.equal(Number(n!.n), ids.length);
});
