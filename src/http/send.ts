// Writes a Reply or an error to the response. The only place that touches res.write/end.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Reply } from "./reply.js";

/** Headers for every HTML response: no inline script, no framing, no MIME sniffing. */
export const HTML_SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
  "X-Frame-Options": "DENY",
};

function setHeaders(res: ServerResponse, headers: Record<string, string | string[]> | undefined): void {
  if (!headers) return;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === "set-cookie") {
      const prev = res.getHeader("Set-Cookie");
      const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
      res.setHeader("Set-Cookie", [...list, ...(Array.isArray(v) ? v : [v])]);
    } else res.setHeader(k, v);
  }
}

export async function sendReply(req: IncomingMessage, res: ServerResponse, reply: Reply, extra: Record<string, string | string[]>): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  setHeaders(res, extra);
  setHeaders(res, reply.headers);
  res.statusCode = reply.status;
  const head = req.method === "HEAD";
  switch (reply.kind) {
    case "json": {
      const body = JSON.stringify(reply.body);
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      res.setHeader("Cache-Control", "no-store");
      res.setHeader("Content-Length", Buffer.byteLength(body));
      res.end(head ? undefined : body);
      return;
    }
    case "html":
      setHeaders(res, HTML_SECURITY_HEADERS);
      res.setHeader("Content-Type", "text/html; charset=utf-8");
      if (!res.hasHeader("Cache-Control")) res.setHeader("Cache-Control", "no-store");
      res.setHeader("Content-Length", Buffer.byteLength(reply.body));
      res.end(head ? undefined : reply.body);
      return;
    case "text":
      res.setHeader("Content-Type", reply.contentType);
      res.setHeader("Content-Length", Buffer.byteLength(reply.body));
      res.end(head ? undefined : reply.body);
      return;
    case "redirect":
      res.setHeader("Location", reply.location);
      res.end();
      return;
    case "empty":
      res.end();
      return;
    case "stream": {
      res.setHeader("Content-Type", reply.contentType);
      res.setHeader("Cache-Control", "no-store");
      if (head) {
        res.end();
        return;
      }
      const source = reply.body instanceof Readable ? reply.body : Readable.from(reply.body);
      // pipeline respects back-pressure and destroys the source if the client goes away
      await pipeline(source, res).catch(() => res.destroy());
      return;
    }
  }
}
