// The baseline: a bare node:http server that answers the agent wire protocol with fixed JSON and no
// auth, validation or SQL. Heartbeats get the same body and headers as Capstan's; polls with
// waitSeconds are held that long and answered [] like an idle long poll. Prints "listening <port>".
// Run: node bench/bare-server.mjs [port=0]
import { createServer } from "node:http";

const HEARTBEAT = JSON.stringify({ success: true, data: { heartbeatIntervalSeconds: 30, commandPollIntervalSeconds: 5 } });
const EMPTY_POLL = JSON.stringify({ success: true, data: [] });
let requestCounter = 0;

function sendJson(res, body) {
  res.setHeader("X-Request-Id", String(++requestCounter));
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}

const server = createServer({ requestTimeout: 60_000, headersTimeout: 15_000, keepAliveTimeout: 65_000 }, (req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  // Read the body like any real endpoint would before answering.
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    if (req.method === "POST" && url.pathname.endsWith("/heartbeat")) {
      JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      return sendJson(res, HEARTBEAT);
    }
    if (req.method === "GET" && url.pathname.endsWith("/commands")) {
      const waitMs = Math.min(30, Number(url.searchParams.get("waitSeconds") ?? 0)) * 1000;
      if (waitMs <= 0) return sendJson(res, EMPTY_POLL);
      const timer = setTimeout(() => sendJson(res, EMPTY_POLL), waitMs);
      res.on("close", () => clearTimeout(timer));
      return;
    }
    if (url.pathname === "/readyz" || url.pathname === "/healthz") {
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      return res.end("ready\n");
    }
    res.statusCode = 404;
    sendJson(res, JSON.stringify({ success: false, error: { code: "NOT_FOUND", message: "no such route" } }));
  });
});
server.setTimeout(45_000);
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  console.log(`listening ${server.address().port}`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
