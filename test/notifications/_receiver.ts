// A real local HTTP receiver for webhook tests, and an independent implementation of the Standard
// Webhooks verification (written from the spec, sharing no code with src/domain/notifications).
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Client, Tap } from "../helpers.js";
import { waitFor } from "../sdk/sdkKit.js";

export interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
}

/** What the receiver answers: a status (and body), or "hold" until release() is called. */
export type Behaviour = (r: Received, n: number) => { status: number; body?: string; headers?: Record<string, string> } | "hold";

export interface Receiver {
  url: string;
  received: Received[];
  behave(b: Behaviour): void;
  /** Answers every held request with 200. */
  release(): void;
  /** Resolves once `n` requests have arrived (or rejects after ms). */
  waitFor(n: number, ms?: number): Promise<Received[]>;
}

export async function startReceiver(t: Tap): Promise<Receiver> {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  let behaviour: Behaviour = () => ({ status: 200, body: "ok" });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: Received = { path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() };
      received.push(r);
      const b = behaviour(r, received.length);
      if (b === "hold") {
        held.push(res);
        return;
      }
      res.writeHead(b.status, { "content-type": "text/plain", ...(b.headers ?? {}) });
      res.end(b.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    for (const res of held.splice(0)) res.destroy();
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    behave: (b) => { behaviour = b; },
    release: () => { for (const res of held.splice(0)) if (!res.destroyed) res.writeHead(200).end("released"); },
    waitFor: async (n, ms = 20_000) => {
      const deadline = Date.now() + ms;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`receiver got ${received.length} of ${n} requests in ${ms} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return received.slice(0, n);
    },
  };
}

/**
 * Standard Webhooks verification, from the spec: the key is the base64 after "whsec_"; the signed
 * content is "{webhook-id}.{webhook-timestamp}.{raw body}"; webhook-signature holds space-separated
 * "v1,<base64 HMAC-SHA256>" entries, one match suffices (constant-time compare); the timestamp must be
 * within 5 minutes of now. Returns the reason it fails, or null when the request is authentic.
 */
export function verifyStandardWebhook(secret: string, headers: IncomingMessage["headers"], rawBody: string, nowMs = Date.now()): string | null {
  const id = headers["webhook-id"];
  const ts = headers["webhook-timestamp"];
  const sig = headers["webhook-signature"];
  if (typeof id !== "string" || typeof ts !== "string" || typeof sig !== "string") return "missing headers";
  if (!/^\d+$/.test(ts) || Math.abs(nowMs / 1000 - Number(ts)) > 300) return "timestamp outside tolerance";
  if (!secret.startsWith("whsec_")) return "secret without whsec_ prefix";
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${ts}.${rawBody}`).digest();
  for (const entry of sig.split(" ")) {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || !value) continue;
    const got = Buffer.from(value, "base64");
    if (got.length === expected.length && timingSafeEqual(got, expected)) return null;
  }
  return "no matching signature";
}

/** The delivery log of one endpoint, as the admin API answers it. */
export async function deliveriesOf(owner: Client, endpointId: string): Promise<any[]> {
  return (await owner.get(`/api/admin/webhooks/${endpointId}/deliveries`)).body.data;
}

/** Polls until `fn` answers something truthy (delivery is asynchronous); throws naming `what` after `ms`. */
export const until = <T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> =>
  waitFor(fn, ms, what) as Promise<T>;
