// The Telegram channel's configuration (owner only): the bot token sealed with the installation's
// secret box (AES-256-GCM, src/secrets) and never returned, logged or audited; the allowed chats; on/off.
// Kept in `settings` with the update offset, which is stored only after an update's message is stored.
import type { Actor, App } from "../../../context.js";
import { getSetting, putSetting } from "../../../db/settings.js";
import { AppError } from "../../../errors.js";
import type { PutTelegramInput } from "../../../schemas/messages.js";
import { writeAudit } from "../../audit.js";

const CONFIG_KEY = "channels.telegram";
const OFFSET_KEY = "channels.telegram.offset";
/** Binds the sealed token to its purpose: an envelope copied elsewhere does not open. */
const TOKEN_AAD = "channel:telegram:botToken";

interface StoredConfig {
  sealedToken: string;
  allowedChatIds: number[];
  enabled: boolean;
}

export interface TelegramConfig {
  botToken: string;
  allowedChatIds: number[];
  enabled: boolean;
}

export async function telegramView(app: App) {
  const s = await getSetting<StoredConfig>(app.db, CONFIG_KEY);
  return {
    configured: s !== undefined, enabled: s?.value.enabled ?? false, allowedChatIds: s?.value.allowedChatIds ?? [],
    botTokenSet: !!s?.value.sealedToken, apiBaseUrl: app.config.telegramApiUrl,
    active: app.runtime.telegram.active, lastError: app.runtime.telegram.lastError, updatedAt: s?.updatedAt ?? null,
  };
}

export async function putTelegramConfig(app: App, actor: Actor, input: PutTelegramInput, requestId?: string) {
  await app.db.transaction(async () => {
    const before = (await getSetting<StoredConfig>(app.db, CONFIG_KEY))?.value;
    if (!input.botToken && !before?.sealedToken) {
      throw new AppError("VALIDATION_FAILED", "botToken is required the first time", { issues: [{ path: "botToken", message: "required" }] });
    }
    const sealedToken = input.botToken ? app.secretBox.seal(input.botToken, TOKEN_AAD) : before!.sealedToken;
    const nowIso = app.now().toISOString();
    await putSetting(app.db, CONFIG_KEY, { sealedToken, allowedChatIds: [...new Set(input.allowedChatIds)], enabled: input.enabled } satisfies StoredConfig, nowIso);
    // another bot has its own update ids: start from its unconfirmed updates
    if (input.botToken && before && input.botToken !== openToken(app, before.sealedToken)) await putSetting(app.db, OFFSET_KEY, { offset: 0 }, nowIso);
    await writeAudit(app, {
      actor, action: "channel.telegram.updated", target: { type: "Channel", id: "telegram" }, requestId,
      metadata: { enabled: input.enabled, allowedChatIds: input.allowedChatIds, botTokenChanged: input.botToken !== undefined },
    });
  });
  return telegramView(app);
}

function openToken(app: App, sealed: string): string | null {
  try {
    return app.secretBox.open(sealed, TOKEN_AAD);
  } catch {
    return null;
  }
}

/** The live configuration with the opened token, or null (not configured, off, or the token does not open with this key). */
export async function loadTelegramConfig(app: App): Promise<TelegramConfig | null> {
  const s = (await getSetting<StoredConfig>(app.db, CONFIG_KEY))?.value;
  if (!s?.enabled) return null;
  const botToken = openToken(app, s.sealedToken);
  if (!botToken) {
    app.runtime.telegram.lastError = "the stored bot token does not open with this installation's secret key; set it again";
    return null;
  }
  return { botToken, allowedChatIds: s.allowedChatIds, enabled: s.enabled };
}

export const loadOffset = async (app: App): Promise<number> => (await getSetting<{ offset: number }>(app.db, OFFSET_KEY))?.value.offset ?? 0;

export async function storeOffset(app: App, offset: number): Promise<void> {
  await putSetting(app.db, OFFSET_KEY, { offset }, app.now().toISOString());
}
