// Per-channel and per-sender limits on incoming messages: fixed one-minute windows counted in the
// database (auth/limits.ts), so they hold across nodes. Only the first refusal of a window is
// audited, so a flood cannot flood the audit log as well.
import type { Actor, App } from "../../context.js";
import { countInWindow } from "../../auth/limits.js";
import { AppError } from "../../errors.js";
import type { MessageChannel } from "../../vocabulary.js";
import { auditRefusal } from "../commands/lifecycle.js";

export async function takeMessageSlots(app: App, actor: Actor, channel: MessageChannel, senderId: string, requestId?: string): Promise<void> {
  // the sender first: a sender over its own limit does not use up the channel's window for everyone else
  const limits: [string, number, string][] = [
    [`msg.sender:${channel}:${senderId}`, app.config.messagesPerSenderPerMin, `one sender may send ${app.config.messagesPerSenderPerMin} messages per minute`],
    [`msg.channel:${channel}`, app.config.messagesPerMin, `the ${channel} channel takes ${app.config.messagesPerMin} messages per minute`],
  ];
  for (const [key, limit, why] of limits) {
    const verdict = await countInWindow(app, key, limit);
    if (verdict.allowed) continue;
    if (verdict.firstRefusal) {
      await auditRefusal(app, actor, "message.received", { type: "Channel", id: channel }, "MESSAGE_RATE_LIMITED", {
        channel, senderId, limitPerMinute: limit, message: `${why}; further messages are refused until the window ends (only the first refusal is audited)`,
      }, requestId);
    }
    throw new AppError("MESSAGE_RATE_LIMITED", `${why}; retry in ${verdict.retryAfterSeconds} s`, { limitPerMinute: limit, retryAfterSeconds: verdict.retryAfterSeconds }, {
      "Retry-After": String(verdict.retryAfterSeconds),
    });
  }
}
