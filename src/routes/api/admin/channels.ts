// /api/admin/channels/telegram: the Telegram channel's configuration. Owners set it (the bot token is
// write-only: stored encrypted, never returned, logged or audited); operators may look.
import { route } from "../../../context.js";
import { putTelegramConfig, telegramView } from "../../../domain/messages/telegram/config.js";
import { ok } from "../../../http/reply.js";
import { parseBody } from "../../../schemas/common.js";
import { PutTelegramBody } from "../../../schemas/messages.js";

export const channelRoutes = [
  route({
    method: "GET", path: "/api/admin/channels/telegram", auth: "operator", feature: "messages", name: "showTelegramChannel",
    handler: async ({ app }) => ok(await telegramView(app)),
  }),
  route({
    method: "PUT", path: "/api/admin/channels/telegram", auth: "owner", feature: "messages", name: "putTelegramChannel",
    handler: async (ctx) => {
      const input = parseBody(PutTelegramBody, await ctx.body());
      return ok(await putTelegramConfig(ctx.app, { type: "USER", id: ctx.admin!.userId }, input, ctx.requestId));
    },
  }),
];
