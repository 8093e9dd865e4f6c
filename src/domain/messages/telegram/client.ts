// The Bot API calls the channel makes, and nothing else: getUpdates and sendMessage as JSON POSTs to
// {CAPSTAN_TELEGRAM_API_URL}/bot{token}/{method}. The URL holds the token, so it is never logged and
// every error message is scrubbed of it before it leaves this module.

export interface TelegramUpdate {
  update_id: number;
  message?: {
    message_id: number;
    chat: { id: number; type?: string };
    from?: { id: number; username?: string; first_name?: string };
    text?: string;
  };
}

/** A failed call; `retryAfterSeconds` from the Bot API's flood control (parameters.retry_after). */
export class TelegramError extends Error {
  constructor(message: string, readonly status: number | null, readonly retryAfterSeconds: number | null) {
    super(message);
  }
}

export const scrub = (text: string, token: string): string => (token ? text.split(token).join("[bot-token]") : text);

export async function callBotApi<T>(base: string, token: string, method: string, body: unknown, timeoutMs: number, signal: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${base}/bot${token}/${method}`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]), redirect: "error",
    });
  } catch (err) {
    throw new TelegramError(scrub(`${method}: ${err instanceof Error ? err.message : String(err)}`, token), null, null);
  }
  const text = await res.text();
  let json: { ok?: boolean; result?: T; description?: string; error_code?: number; parameters?: { retry_after?: number } } | undefined;
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    json = undefined;
  }
  if (res.ok && json?.ok === true) return json.result as T;
  const retryAfter = typeof json?.parameters?.retry_after === "number" ? json.parameters.retry_after : null;
  const why = typeof json?.description === "string" ? json.description.slice(0, 200) : `HTTP ${res.status}`;
  throw new TelegramError(scrub(`${method}: ${json?.error_code ?? res.status} ${why}`, token), res.status, retryAfter);
}

/** Telegram's limit for one message's text. */
export const TELEGRAM_TEXT_MAX = 4096;

/**
 * Splits a reply into parts of at most `max` UTF-16 units (how Telegram counts), preferring a line
 * break or a space near the end of each part, never splitting a surrogate pair.
 */
export function splitText(text: string, max = TELEGRAM_TEXT_MAX): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = max;
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut--; // do not end on a high surrogate
    const window = rest.slice(Math.max(0, cut - 200), cut);
    const soft = Math.max(window.lastIndexOf("\n"), window.lastIndexOf(" "));
    if (soft > 0) cut = cut - window.length + soft + 1;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}
