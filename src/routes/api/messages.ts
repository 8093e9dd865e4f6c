// /api/messages: the HTTP channel. Submit a message (202 {messageId}), read it back with its status
// and reply, optionally long-polling (?wait=N, N <= 30). API tokens need the `messages` scope (an
// admin token has it implicitly); a messages-only token reaches nothing else.
import { route } from "../../context.js";
import { receiveMessage } from "../../domain/messages/ingest.js";
import { readMessage } from "../../domain/messages/queries.js";
import { ok } from "../../http/reply.js";
import { parseBody, parseQuery } from "../../schemas/common.js";
import { SendMessageBody, ShowMessageQuery } from "../../schemas/messages.js";

export const messageRoutes = [
  route({
    method: "POST", path: "/api/messages", auth: "viewer", scope: "messages", feature: "messages", name: "sendMessage",
    handler: async (ctx) => {
      const input = parseBody(SendMessageBody, await ctx.body());
      const { message } = await receiveMessage(ctx.app, { type: "USER", id: ctx.admin!.userId }, input, { requestId: ctx.requestId });
      return { kind: "json", status: 202, body: { success: true, data: { messageId: message.id, status: message.status } } };
    },
  }),
  route({
    method: "GET", path: "/api/messages/:messageId", auth: "viewer", scope: "messages", feature: "messages", name: "showMessage", query: true,
    handler: async (ctx) => {
      const { wait } = parseQuery(ctx.query, ShowMessageQuery);
      return ok(await readMessage(ctx.app, ctx.admin!, ctx.params.messageId, wait, ctx.signal));
    },
  }),
];
