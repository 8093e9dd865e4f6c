// The Telegram channel: pulls updates with getUpdates long polling (no inbound port, like agents),
// stores and routes each allowed text message, and sends the replies back with sendMessage, threaded
// to the message they answer and split at 4,096 characters.
//
// One active poller across nodes: each loop runs only while this node holds the advisory lock
// TELEGRAM_LOCK (PostgreSQL session lock; SQLite has one node and always holds it). A node that dies
// frees the lock with its session and another node's next try takes over.
//
// Durability: an update's offset is stored only after its message is stored (and routed), so a crash
// in between makes Telegram deliver the update again; the message's unique (channel, external id)
// makes that a duplicate, not a second message and not a second answer.
import type { Actor, App } from "../../../context.js";
import { markDeliveryFailed, markPartDelivered, markReplyDelivered, undeliveredReplies, type MessageRow } from "../../../db/messages.js";
import { countInWindow } from "../../../auth/limits.js";
import { MESSAGE_TEXT_MAX } from "../../../schemas/messages.js";
import { writeAudit } from "../../audit.js";
import { receiveMessage } from "../ingest.js";
import { callBotApi, scrub, splitText, TelegramError, type TelegramUpdate } from "./client.js";
import { loadOffset, loadTelegramConfig, storeOffset, type TelegramConfig } from "./config.js";

export const TELEGRAM_LOCK = "capstan.telegram";
const TELEGRAM: Actor = { type: "SYSTEM", id: null };
/** How often an idle (not configured, or not the lock holder) node looks again. */
const IDLE_MS = 2000;
/** How often the reply loop looks for replies to deliver (they may be written on any node). */
const REPLY_TICK_MS = 300;
const BACKOFF_MAX_MS = 60_000;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** Starts both loops when message routing is on; they stop (and are awaited) on shutdown. */
export function startTelegram(app: App): void {
  if (!app.config.messagesEnabled) return;
  const st = app.runtime.telegram;
  st.loops.push(guard(app, "updates", updatesLoop), guard(app, "replies", repliesLoop));
  app.runtime.onClose.push(async () => {
    st.stop.abort();
    await Promise.allSettled(st.loops);
  });
}

async function guard(app: App, name: string, loop: (app: App) => Promise<void>): Promise<void> {
  try {
    await loop(app);
  } catch (err) {
    app.log.error("telegram loop ended unexpectedly", { loop: name, error: err instanceof Error ? err.message : String(err) });
  }
}

/** The configuration when this node is the active poller and the channel is on; null otherwise. */
async function activeConfig(app: App): Promise<TelegramConfig | null> {
  try {
    const mine = await app.db.tryAdvisoryLock(TELEGRAM_LOCK);
    app.runtime.telegram.active = mine;
    return mine ? await loadTelegramConfig(app) : null;
  } catch (err) {
    app.log.warn("telegram: lock or configuration unavailable; retrying", { error: err instanceof Error ? err.message : String(err) });
    return null;
  }
}

/** Exponential backoff from the configured base, or the Bot API's own retry_after when it sent one. */
function backoffMs(app: App, err: unknown, failures: number): number {
  if (err instanceof TelegramError && err.retryAfterSeconds !== null) return Math.min(BACKOFF_MAX_MS * 10, err.retryAfterSeconds * 1000);
  return Math.min(BACKOFF_MAX_MS, app.config.telegramBackoffBaseMs * 2 ** Math.min(failures - 1, 16));
}

function failed(app: App, what: string, err: unknown, token: string, waitMs: number): void {
  const st = app.runtime.telegram;
  st.failures++;
  st.lastError = scrub(err instanceof Error ? err.message : String(err), token);
  app.log.warn(`telegram ${what} failed; retrying`, { error: st.lastError, retryInMs: waitMs });
}

/**
 * The skeleton both loops share: work only while this node is the active poller; a step answers how
 * long to wait before the next one, and a failing step backs off (failures counted per loop).
 */
async function channelLoop(app: App, what: string, step: (cfg: TelegramConfig, signal: AbortSignal) => Promise<number>): Promise<void> {
  const { signal } = app.runtime.telegram.stop;
  let failures = 0;
  while (!signal.aborted) {
    const cfg = await activeConfig(app);
    if (!cfg) {
      await sleep(IDLE_MS, signal);
      continue;
    }
    let wait: number;
    try {
      wait = await step(cfg, signal);
      failures = 0;
    } catch (err) {
      if (signal.aborted) return;
      failures++;
      wait = backoffMs(app, err, failures);
      failed(app, what, err, cfg.botToken, wait);
    }
    if (wait > 0) await sleep(wait, signal);
  }
}

const updatesLoop = (app: App): Promise<void> =>
  channelLoop(app, "getUpdates", async (cfg, signal) => {
    const st = app.runtime.telegram;
    const offset = await loadOffset(app);
    const timeout = app.config.telegramPollSeconds;
    st.calls++;
    const updates = await callBotApi<TelegramUpdate[]>(app.config.telegramApiUrl, cfg.botToken, "getUpdates",
      { offset, timeout, allowed_updates: ["message"] }, (timeout + 10) * 1000, signal);
    const list = Array.isArray(updates) ? updates.filter((u) => Number.isSafeInteger(u?.update_id)) : [];
    for (const u of list) {
      if (signal.aborted) return 0;
      await handleUpdate(app, cfg, u);
      if (app.config.telegramOffsetDelayMs > 0) await sleep(app.config.telegramOffsetDelayMs, signal);
      if (signal.aborted) return 0; // stopping: the update is delivered again and recognised as a duplicate
      await storeOffset(app, u.update_id + 1);
    }
    st.lastError = null;
    return list.length === 0 && timeout === 0 ? 200 : 0; // short polling (tests): do not spin
  });

/** Stores and routes one update's text message; anything else (and chats not allowed) is acknowledged and skipped. */
async function handleUpdate(app: App, cfg: TelegramConfig, u: TelegramUpdate): Promise<void> {
  const m = u.message;
  if (!m || typeof m.text !== "string" || m.text === "" || typeof m.chat?.id !== "number") return;
  if (!cfg.allowedChatIds.includes(m.chat.id)) {
    // audited once per chat and minute, so a stranger's flood does not flood the audit log
    if ((await countInWindow(app, `tg.refused:${m.chat.id}`, 1)).allowed) {
      await app.db.transaction(async () => {
        await writeAudit(app, {
          actor: TELEGRAM, action: "message.refused", target: { type: "Channel", id: "telegram" }, result: "FAILURE",
          metadata: { errorCode: "CHAT_NOT_ALLOWED", chatId: m.chat.id, updateId: u.update_id, message: "the chat is not on the allowlist; the update was dropped (audited once per chat and minute)" },
        });
      });
    }
    return;
  }
  const from = m.from;
  await receiveMessage(app, TELEGRAM, {
    channel: "telegram", externalId: String(u.update_id), conversationId: String(m.chat.id),
    sender: { id: String(from?.id ?? m.chat.id), ...(from?.username || from?.first_name ? { name: String(from.username ?? from.first_name).slice(0, 200) } : {}) },
    type: m.text.trimStart().startsWith("/") ? "COMMAND" : "QUERY", text: m.text.slice(0, MESSAGE_TEXT_MAX), replyToRef: String(m.message_id),
  }, { recordRefusals: true });
}

const repliesLoop = (app: App): Promise<void> =>
  channelLoop(app, "sendMessage", async (cfg, signal) => {
    for (const m of await undeliveredReplies(app.db, "telegram", app.now().toISOString(), 20)) {
      if (signal.aborted) return 0;
      await deliver(app, cfg, m);
    }
    return REPLY_TICK_MS;
  });

/** Sends one reply (its remaining parts); a refusal that retrying cannot fix (400, 403) gives up on that message, audited. */
async function deliver(app: App, cfg: TelegramConfig, m: MessageRow): Promise<void> {
  const st = app.runtime.telegram;
  if (!m.reply) {
    await markReplyDelivered(app.db, m.id, app.now().toISOString()); // refused messages (rate limit) get no answer
    return;
  }
  const parts = splitText(m.reply.text);
  try {
    for (let i = m.deliveredParts; i < parts.length; i++) {
      st.calls++;
      await callBotApi(app.config.telegramApiUrl, cfg.botToken, "sendMessage", {
        chat_id: Number(m.conversationId), text: parts[i],
        ...(i === 0 && m.replyToRef ? { reply_parameters: { message_id: Number(m.replyToRef), allow_sending_without_reply: true } } : {}),
      }, 30_000, st.stop.signal);
      await markPartDelivered(app.db, m.id, i + 1);
    }
  } catch (err) {
    if (err instanceof TelegramError && err.status !== null && err.status >= 400 && err.status < 500 && err.status !== 429) {
      await app.db.transaction(async () => {
        await markDeliveryFailed(app.db, m.id, "9999-12-31T00:00:00.000Z");
        await writeAudit(app, {
          actor: TELEGRAM, action: "message.delivery.failed", target: { type: "ConversationMessage", id: m.id }, result: "FAILURE",
          metadata: { errorCode: "TELEGRAM_REFUSED", message: scrub(err.message, cfg.botToken) },
        });
      });
      return;
    }
    await markDeliveryFailed(app.db, m.id, new Date(app.now().getTime() + 1000).toISOString());
    throw err;
  }
  await markReplyDelivered(app.db, m.id, app.now().toISOString());
}
