// Requests node:http refuses before our app sees them (headers over 16 KiB, a broken request line,
// a header or request timeout) would get a bare status line and no body; answer them in the same
// error envelope as everything else, then close the connection (its framing can no longer be trusted).
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { ErrorCode } from "../errors.js";
import { ERRORS } from "../errors.js";

function classify(code: string | undefined): [ErrorCode, string] {
  if (code === "HPE_HEADER_OVERFLOW") return ["REQUEST_HEADERS_TOO_LARGE", "request line and headers exceed 16 KiB"];
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return ["REQUEST_TIMEOUT", "the request was not received in time"];
  return ["REQUEST_ERROR", "malformed HTTP request"];
}

export function answerClientError(err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex): void {
  // nothing can be written to a reset or half-closed socket
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const [code, message] = classify(err.code);
  const status = ERRORS[code];
  const body = JSON.stringify({ success: false, error: { code, message } });
  // a HEAD answer carries no body (clients would read it as garbage); the failed bytes tell the method
  const head = err.rawPacket?.subarray(0, 5).toString("latin1") === "HEAD ";
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${head ? "" : body}`,
  );
}
