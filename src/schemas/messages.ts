// Inputs of message routing: a message on the HTTP channel, message routes (create, patch, preview),
// the Telegram channel's configuration, and list queries. Route patterns are hostile input: sizes are
// capped here and the pattern is compiled on RE2 in the domain (domain/messages/match.ts).
import { z } from "zod";
import { MESSAGE_CHANNELS, MESSAGE_ROUTE_STATUSES, MESSAGE_STATUSES, MESSAGE_TYPES } from "../vocabulary.js";
import { page, pageSize } from "./common.js";
import { serviceCode } from "./services.js";

/** Longest message text accepted (Telegram's own limit is 4,096 characters). */
export const MESSAGE_TEXT_MAX = 16_000;
/** Longest route pattern; RE2 runs it in linear time, this bounds its compiled size. */
export const ROUTE_PATTERN_MAX = 200;
const LIST_MAX = 200;

const ident = z.string().trim().min(1).max(200);
const slashCommand = z.string().regex(/^\/[A-Za-z0-9_]{1,64}$/, "a slash command like /status (letters, digits, _)");

export const SendMessageBody = z.strictObject({
  channel: z.literal("http").default("http"),
  conversationId: ident,
  sender: z.strictObject({ id: ident, name: z.string().trim().min(1).max(200).optional() }),
  type: z.enum(MESSAGE_TYPES).default("QUERY"),
  text: z.string().min(1).max(MESSAGE_TEXT_MAX),
  attachments: z.array(z.strictObject({ kind: z.string().min(1).max(40), url: z.url().max(2000).optional(), name: z.string().max(200).optional() })).max(10).optional(),
  correlationId: z.string().min(1).max(200).optional(),
});
export type SendMessageInput = z.output<typeof SendMessageBody>;

/** ?wait=N on GET /api/messages/{id}: long-poll up to N (<= 30) seconds for the reply. */
export const ShowMessageQuery = { wait: z.coerce.number().min(0).max(30).default(0) };

export const RouteMatchBody = z.strictObject({
  channel: z.enum(MESSAGE_CHANNELS).optional(),
  type: z.enum(MESSAGE_TYPES).optional(),
  commandPrefix: slashCommand.optional(),
  textPrefix: z.string().min(1).max(200).optional(),
  textPattern: z.string().min(1).max(ROUTE_PATTERN_MAX).optional().describe("RE2 syntax (no backreferences or lookaround), case-insensitive"),
  senders: z.array(ident).max(LIST_MAX).optional(),
  conversations: z.array(ident).max(LIST_MAX).optional(),
});

export const CreateMessageRouteBody = z.strictObject({
  name: z.string().trim().min(1).max(120),
  priority: z.coerce.number().int().min(0).max(1_000_000).default(100),
  status: z.enum(MESSAGE_ROUTE_STATUSES).default("ENABLED"),
  match: RouteMatchBody.default({}),
  target: z.strictObject({ serviceCode }),
});
export type CreateMessageRouteInput = z.output<typeof CreateMessageRouteBody>;

export const UpdateMessageRouteBody = z
  .strictObject({
    name: z.string().trim().min(1).max(120).optional(),
    priority: z.coerce.number().int().min(0).max(1_000_000).optional(),
    status: z.enum(MESSAGE_ROUTE_STATUSES).optional(),
    match: RouteMatchBody.optional(),
    target: z.strictObject({ serviceCode }).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "send at least one field to change" });
export type UpdateMessageRouteInput = z.output<typeof UpdateMessageRouteBody>;

export const PreviewMessageRouteBody = z.strictObject({
  channel: z.enum(MESSAGE_CHANNELS).default("http"),
  type: z.enum(MESSAGE_TYPES).default("QUERY"),
  text: z.string().min(1).max(MESSAGE_TEXT_MAX),
  senderId: ident.optional(),
  conversationId: ident.optional(),
});
export type PreviewMessageRouteInput = z.output<typeof PreviewMessageRouteBody>;

export const ListMessageRoutesQuery = { page, pageSize, status: z.array(z.enum(MESSAGE_ROUTE_STATUSES)).optional() };
export const ListMessagesQuery = {
  page, pageSize,
  channel: z.array(z.enum(MESSAGE_CHANNELS)).optional(),
  status: z.array(z.enum(MESSAGE_STATUSES)).optional(),
  conversationId: ident.optional(),
};
export const LIST_MESSAGES_ARRAYS = ["channel", "status"] as const;
export const LIST_MESSAGE_ROUTES_ARRAYS = ["status"] as const;

/** Telegram chat ids are integers (negative for groups), within 52 bits. */
const chatId = z.number().int().min(-(2 ** 52)).max(2 ** 52);

export const PutTelegramBody = z.strictObject({
  botToken: z.string().regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/, "a bot token as BotFather gives it: <digits>:<letters, digits, _ ->").optional()
    .describe("required the first time; omit to keep the stored one"),
  allowedChatIds: z.array(chatId).max(LIST_MAX),
  enabled: z.boolean(),
});
export type PutTelegramInput = z.output<typeof PutTelegramBody>;
