// The fault-injecting proxy of the reliability suite, shared with the Python SDK's tests
// (test/sdk-python): the server is unreachable, answers 500, answers 10 s late, or cuts connections.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { sleep } from "../helpers.js";

export type Mode = "pass" | "down" | "error500" | "slow" | "cut";
export const SLOW_MS = 10_000;

/**
 * The proxy. A poll is only ever failed *before* it reaches the server (a claimed command whose
 * answer is lost stays RUNNING until it expires: the contract has no poll acknowledgement, see
 * docs/reliability.md); results are also failed *after* the server applied them, so the SDK must
 * retry what the server already has.
 */
export async function startProxy(target: string) {
  let mode: Mode = "pass";
  const seen: Record<Mode, number> = { pass: 0, down: 0, error500: 0, slow: 0, cut: 0 };
  const forward = (req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const u = new URL(target);
      const out = http.request({ host: u.hostname, port: u.port, method: req.method, path: req.url, headers: { ...req.headers, host: u.host } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c)).on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) })).on("error", reject);
      });
      out.on("error", reject);
      out.end(body);
    });
  const server = http.createServer(async (req, res) => {
    const m = mode;
    seen[m]++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const isPoll = req.method === "GET" && /\/commands(\?|$)/.test(req.url ?? "");
    const isResult = /\/result$/.test(req.url ?? "");
    try {
      if (m === "down" || (m === "cut" && !isResult)) return void req.socket.destroy();
      if (m === "error500") return void res.writeHead(500, { "content-type": "text/plain" }).end("upstream exploded");
      if (m === "slow" && isPoll) {
        await sleep(SLOW_MS);
        if (req.socket.destroyed) return; // the client gave up: the server never sees the poll
      }
      const answer = await forward(req, Buffer.concat(chunks));
      if (m === "cut") return void req.socket.destroy(); // applied upstream, answer lost
      if (m === "slow" && !isPoll) await sleep(SLOW_MS);
      if (req.socket.destroyed) return;
      res.writeHead(answer.status, { "content-type": answer.headers["content-type"] ?? "application/json" }).end(answer.body);
    } catch {
      req.socket.destroy();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    set: (m: Mode) => void (mode = m),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

