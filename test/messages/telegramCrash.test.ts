// kill -9 between storing a Telegram message and storing the update offset: after the restart the
// update arrives again and is recognised, so nothing is lost and nothing is answered twice. The built
// server runs as a child process; CAPSTAN_TELEGRAM_OFFSET_DELAY_MS holds it in exactly that window.
import { join } from "node:path";
import t from "tap";
import { sleep } from "../helpers.js";
import { waitFor } from "../sdk/sdkKit.js";
import { freePort, jsonClient, ownerApiToken, spawnServer } from "../reliability/_kit.js";
import { BOT_TOKEN, startFakeBot } from "./_fakeBot.js";

t.setTimeout(120_000);

t.test("kill -9 after the message is stored and before the offset is: nothing lost, nothing answered twice", async (t) => {
  const bot = await startFakeBot(t);
  const dataDir = join(t.testdir(), "data");
  const port = await freePort();
  const env = {
    CAPSTAN_MESSAGES_ENABLED: "true", CAPSTAN_TELEGRAM_API_URL: bot.url, CAPSTAN_TELEGRAM_POLL_SECONDS: "0",
    CAPSTAN_TELEGRAM_BACKOFF_BASE_MS: "100", CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "0",
  };
  const first = await spawnServer({ dataDir, port, env: { ...env, CAPSTAN_TELEGRAM_OFFSET_DELAY_MS: "30000" } });
  t.teardown(() => first.kill9());
  const token = await ownerApiToken(first.url);
  let api = jsonClient(first.url, { authorization: `Bearer ${token}` });
  const put = await api("PUT", "/api/admin/channels/telegram", { botToken: BOT_TOKEN, allowedChatIds: [100], enabled: true });
  t.equal(put.status, 200, JSON.stringify(put.body));

  const updateId = bot.push(100, "is anyone there?", 77);
  // the message is stored (and answered: no route, the configured reply) while the offset waits
  await waitFor(async () => (await api("GET", "/api/admin/messages?channel=telegram")).body.data?.length === 1, 15_000, "the stored message");
  await sleep(500);
  await first.kill9();
  t.notOk(bot.offsets().some((o) => o > updateId), "the offset past the update was never sent: Telegram still holds it");
  const sentBefore = bot.sent.length;

  const second = await spawnServer({ dataDir, port, env });
  t.teardown(() => second.stop());
  api = jsonClient(second.url, { authorization: `Bearer ${token}` });
  await waitFor(() => bot.offsets().some((o) => o === updateId + 1), 15_000, "the update confirmed after the restart");
  await waitFor(() => bot.sent.length >= 1, 10_000, "the reply");
  await sleep(1000); // a second answer would come now
  const stored = (await api("GET", "/api/admin/messages?channel=telegram")).body.data as { id: string; status: string; deliveredAt: string | null }[];
  t.equal(stored.length, 1, "the re-delivered update is the same message, not a second one");
  t.match(stored[0], { status: "UNROUTED" });
  t.ok(stored[0]!.deliveredAt, "its reply was delivered");
  t.equal(bot.sent.length, 1, `answered exactly once (${sentBefore} before the kill)`);
  t.match(bot.sent[0], { chat_id: 100, reply_parameters: { message_id: 77 } });
  const audit = (await api("GET", `/api/admin/audit-events?targetId=${stored[0]!.id}`)).body.data as { action: string }[];
  t.same(audit.map((a) => a.action).sort(), ["message.received", "message.unrouted"], "received once, answered once");
});
