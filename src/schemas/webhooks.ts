// Inputs of the notification endpoints API (and the console's forms, which build the same bodies).
import { z } from "zod";
import { AppError } from "../errors.js";
import { NOTIFICATION_EVENT_TYPES, WEBHOOK_FORMATS } from "../vocabulary.js";
import { idOf } from "./common.js";

const url = z.string().trim().max(2000).pipe(z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }));
const events = z.array(z.enum(NOTIFICATION_EVENT_TYPES)).min(1, "subscribe to at least one event").max(NOTIFICATION_EVENT_TYPES.length)
  .transform((e) => [...new Set(e)]);

export const CreateWebhookBody = z.strictObject({
  name: z.string().trim().min(1).max(120),
  url: url.describe("http(s) receiver; private, loopback and link-local targets are refused unless configuration allows them"),
  events: events.describe("notification event types to deliver"),
  format: z.enum(WEBHOOK_FORMATS).default("standard").describe("standard: Standard Webhooks JSON, signed; slack: {text, blocks}"),
  enabled: z.boolean().default(true),
});
export type CreateWebhookInput = z.output<typeof CreateWebhookBody>;

export const UpdateWebhookBody = z
  .strictObject({
    name: z.string().trim().min(1).max(120).optional(),
    url: url.optional(),
    events: events.optional(),
    format: z.enum(WEBHOOK_FORMATS).optional(),
    enabled: z.boolean().optional().describe("enabling an endpoint the system disabled clears its failure state"),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "send at least one field to change" });
export type UpdateWebhookInput = z.output<typeof UpdateWebhookBody>;

export const ListDeliveriesQuery = { limit: z.coerce.number().int().min(1).max(200).default(50) };

/** Path ids: a malformed one is simply not found. */
export function endpointIdOf(raw: string): string {
  const id = idOf("whe").safeParse(raw);
  if (!id.success) throw new AppError("WEBHOOK_ENDPOINT_NOT_FOUND", "no such webhook endpoint");
  return id.data;
}

export function deliveryIdOf(raw: string): string {
  const id = idOf("whd").safeParse(raw);
  if (!id.success) throw new AppError("WEBHOOK_DELIVERY_NOT_FOUND", "no such webhook delivery");
  return id.data;
}
