// What goes on the wire: Standard Webhooks (https://www.standardwebhooks.com/) signing and the two
// body formats. The signed content is "{webhook-id}.{webhook-timestamp}.{body}", HMAC-SHA256 keyed
// with the base64-decoded part of the whsec_ secret; the header is "v1,<base64>". Every attempt signs
// with its own timestamp (receivers reject old ones); the id stays the same across retries.
import { createHmac, randomBytes } from "node:crypto";
import type { WebhookFormat } from "../../vocabulary.js";

export const SECRET_PREFIX = "whsec_";

/** A new signing secret: whsec_ + base64 of 32 random bytes (the spec asks for 24 to 64). */
export const newWebhookSecret = (): string => SECRET_PREFIX + randomBytes(32).toString("base64");

export function signature(secret: string, msgId: string, timestampSec: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
  return `v1,${createHmac("sha256", key).update(`${msgId}.${timestampSec}.${body}`).digest("base64")}`;
}

// Slack treats &, < and > as markup (<!channel> would ping everyone): what comes from agents is escaped.
const slackEscape = (s: string): string => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** The stored envelope {type, timestamp, data:{summary,…}} as a Slack/Mattermost incoming-webhook message. */
export function slackBody(envelope: string): string {
  const e = JSON.parse(envelope) as { type: string; timestamp: string; data?: { summary?: unknown } };
  const summary = slackEscape(typeof e.data?.summary === "string" ? e.data.summary : e.type);
  return JSON.stringify({
    text: `[Capstan] ${summary}`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${summary}*` } },
      { type: "context", elements: [{ type: "mrkdwn", text: `\`${slackEscape(e.type)}\` · ${slackEscape(e.timestamp)}` }] },
    ],
  });
}

/** Body and headers of one attempt. */
export function renderAttempt(format: WebhookFormat, envelope: string, secret: string, msgId: string, nowMs: number, version: string) {
  const body = format === "slack" ? slackBody(envelope) : envelope;
  const timestamp = Math.floor(nowMs / 1000);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": `Capstan-Webhooks/${version}`,
      // signed in both formats: Slack ignores the headers, a receiver that knows the secret can check them
      "webhook-id": msgId,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signature(secret, msgId, timestamp, body),
    },
  };
}
