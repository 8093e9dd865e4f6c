// A local fake of the Telegram Bot API: the same getUpdates / sendMessage JSON at /bot<token>/<method>,
// updates queued by the test, every request recorded, failures scripted per method.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Tap } from "../helpers.js";

export const BOT_TOKEN = "123456789:AAHfakeTokenForTests_0123456789abcdefXYZ";

export interface Sent { chat_id: number; text: string; reply_parameters?: { message_id: number }; at: number }
export interface Call { method: string; body: any; at: number; token: string }
export interface Scripted { status: number; body: unknown }

export interface FakeBot {
  url: string;
  calls: Call[];
  sent: Sent[];
  /** Adds a text message from `chatId`; returns its update_id. */
  push(chatId: number, text: string, messageId?: number): number;
  /** The next calls of `method` answer these instead (then normal service resumes). */
  fail: Record<"getUpdates" | "sendMessage", Scripted[]>;
  offsets(): number[];
}

export async function startFakeBot(t: Tap, opts: { firstUpdateId?: number } = {}): Promise<FakeBot> {
  const queue: any[] = [];
  let nextUpdate = opts.firstUpdateId ?? 1000;
  let nextMessage = 1;
  let confirmed = 0;
  const calls: Call[] = [];
  const sent: Sent[] = [];
  const fail: FakeBot["fail"] = { getUpdates: [], sendMessage: [] };
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? "");
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (!m) return reply(404, { ok: false, error_code: 404, description: "Not Found" });
      const [, token, method] = m as unknown as [string, string, string];
      const body = raw ? JSON.parse(raw) : {};
      calls.push({ method, body, at: Date.now(), token });
      if (token !== BOT_TOKEN) return reply(401, { ok: false, error_code: 401, description: "Unauthorized" });
      const scripted = (fail as Record<string, Scripted[]>)[method]?.shift();
      if (scripted) return reply(scripted.status, scripted.body);
      if (method === "getUpdates") {
        if (typeof body.offset === "number" && body.offset > confirmed) confirmed = body.offset; // Telegram forgets confirmed updates
        return reply(200, { ok: true, result: queue.filter((u) => u.update_id >= confirmed).slice(0, 100) });
      }
      if (method === "sendMessage") {
        if (typeof body.text !== "string" || body.text.length < 1 || body.text.length > 4096) {
          return reply(400, { ok: false, error_code: 400, description: "Bad Request: message text is empty or too long" });
        }
        sent.push({ ...body, at: Date.now() });
        return reply(200, { ok: true, result: { message_id: nextMessage++, chat: { id: body.chat_id }, text: body.text } });
      }
      return reply(404, { ok: false, error_code: 404, description: "Not Found: method not found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, calls, sent, fail,
    push(chatId, text, messageId) {
      const id = nextUpdate++;
      queue.push({ update_id: id, message: { message_id: messageId ?? id, chat: { id: chatId, type: "private" }, from: { id: chatId, first_name: "Ann" }, date: 0, text } });
      return id;
    },
    offsets: () => calls.filter((c) => c.method === "getUpdates").map((c) => c.body.offset as number),
  };
}
