// The held-fleet client: the same requests as httpClient (bench/lib/wire.mjs) — method, path, the
// SDK's headers and JSON body — written as HTTP/1.1 bytes on keep-alive sockets of our own, with only
// what these answers need parsed (status line, Content-Length or chunked, body). node:http's client
// costs about as much CPU per request as the server it talks to; with 10,000 simulated agents on the
// same two cores as the server, that cost, not the server, decided the figure. test/bench/lib.test.ts
// checks that a server sees the same request from both clients.
import { connect } from "node:net";
import { sdkHeaders } from "./wire.mjs";

const CRLF = "\r\n";
/**
 * undici (Node's fetch, which the SDK uses) keeps an idle socket for the server's `Keep-Alive:
 * timeout=N` hint minus this margin (its keepAliveTimeoutThreshold, 2 s since undici 6.14; Node 20
 * and 22 ship 6.x), so it never writes a request on a socket the server is closing. Without a hint,
 * its default is 4 s.
 */
const KEEP_ALIVE_MARGIN_MS = 2_000;
const KEEP_ALIVE_DEFAULT_MS = 4_000;

/** The request bytes: what the SDK's fetch sends (wire.mjs sdkHeaders: same header names, values and order). */
export function requestBytes(host, method, path, { token, body } = {}) {
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  let head = `${method} ${path} HTTP/1.1${CRLF}`;
  for (const [name, value] of sdkHeaders(host, { token, payloadBytes: payload === undefined ? undefined : Buffer.byteLength(payload) })) head += `${name}: ${value}${CRLF}`;
  head += CRLF;
  return payload === undefined ? Buffer.from(head, "latin1") : Buffer.concat([Buffer.from(head, "latin1"), Buffer.from(payload, "utf8")]);
}

/** Parses one response from the front of `buf`; null while incomplete. */
function parseResponse(buf) {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString("latin1");
  const status = Number(head.slice(9, 12));
  const lower = head.toLowerCase();
  const close = /\r\nconnection:\s*close/.test(lower);
  const hint = /\r\nkeep-alive:[^\r]*timeout=(\d+)/.exec(lower);
  const keepAliveMs = hint ? Number(hint[1]) * 1000 - KEEP_ALIVE_MARGIN_MS : KEEP_ALIVE_DEFAULT_MS;
  const len = /\r\ncontent-length:\s*(\d+)/.exec(lower);
  if (len) {
    const total = end + 4 + Number(len[1]);
    if (buf.length < total) return null;
    return { status, body: buf.subarray(end + 4, total), rest: buf.subarray(total), close, keepAliveMs };
  }
  if (/\r\ntransfer-encoding:\s*chunked/.test(lower)) {
    const parts = [];
    let at = end + 4;
    for (;;) {
      const eol = buf.indexOf("\r\n", at);
      if (eol < 0) return null;
      const size = parseInt(buf.subarray(at, eol).toString("latin1"), 16);
      if (buf.length < eol + 2 + size + 2) return null;
      if (size === 0) return { status, body: Buffer.concat(parts), rest: buf.subarray(eol + 4), close, keepAliveMs };
      parts.push(buf.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
  }
  // no length: the body runs to the end of the connection (not something Capstan sends)
  return { status, body: buf.subarray(end + 4), rest: Buffer.alloc(0), close: true };
}

/** One keep-alive connection that carries one request at a time. */
class Conn {
  constructor(port, hostname, onIdle) {
    this.buf = Buffer.alloc(0);
    this.pending = null;
    this.onIdle = onIdle;
    this.socket = connect({ port, host: hostname, noDelay: true });
    this.socket.on("data", (d) => this.onData(d));
    this.socket.on("error", (err) => this.fail(err));
    this.socket.on("close", () => this.fail(Object.assign(new Error("socket closed"), { code: "ECONNRESET" })));
    this.dead = false;
    /** When it went idle, and how long undici would keep it so (the server's hint minus the margin). */
    this.idleSince = 0;
    this.keepAliveMs = KEEP_ALIVE_DEFAULT_MS;
  }

  /** Idle past what undici would keep: closed instead of reused (the client's side of the keep-alive race). */
  expired(now) {
    return this.dead || now - this.idleSince >= this.keepAliveMs;
  }

  /** `timeoutMs`: the SDK's per-request timeout (an AbortController); the socket is dropped, as fetch's abort does. */
  send(bytes, done, timeoutMs) {
    const timer = timeoutMs ? setTimeout(() => this.fail(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { code: "TIMEOUT" })), timeoutMs) : undefined;
    this.pending = { done, t0: performance.now(), timer };
    this.socket.write(bytes);
  }

  onData(d) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    if (!this.pending) return;
    const r = parseResponse(this.buf);
    if (!r) return;
    this.buf = r.rest;
    const { done, t0, timer } = this.pending;
    clearTimeout(timer);
    this.pending = null;
    this.keepAliveMs = r.keepAliveMs;
    if (r.close || r.keepAliveMs <= 0) {
      this.dead = true;
      this.socket.destroy();
    }
    done(null, { status: r.status, body: r.body, ms: performance.now() - t0 });
    if (!this.dead) this.onIdle(this);
  }

  fail(err) {
    if (this.dead && !this.pending) return;
    this.dead = true;
    this.socket.destroy();
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.done(err);
    }
  }
}

/**
 * A request function like httpClient's: (method, path, {token, body, bytes?, timeoutMs?}) -> {status, json, ms}.
 * At most `maxSockets` connections; requests beyond wait in order. `bytes` sends a prepared request
 * (requestBytes) as is, so a heartbeat's bytes are built once per agent.
 */
export function rawClient(base, { maxSockets = 64 } = {}) {
  const { hostname, port } = new URL(base);
  const host = `${hostname}:${port}`;
  const idle = [];
  const queue = [];
  let open = 0;
  const onIdle = (c) => {
    const next = queue.shift();
    if (next) return dispatch(c, next);
    c.idleSince = performance.now();
    idle.push(c);
  };
  const dispatch = (c, job) => {
    c.send(job.bytes, (err, res) => {
      if (c.dead) {
        open--;
        // a connection that died must not strand the requests waiting for one
        const next = queue.length && open < maxSockets ? queue.shift() : undefined;
        if (next) {
          open++;
          dispatch(new Conn(Number(port), hostname, onIdle), next);
        }
      }
      if (err) return job.reject(err);
      let json;
      if (res.body.length) {
        try {
          json = JSON.parse(res.body.toString("utf8"));
        } catch {
          json = undefined;
        }
      }
      job.resolve({ status: res.status, json, ms: res.ms });
    }, job.timeoutMs);
  };
  const call = (method, path, opts = {}) =>
    new Promise((resolve, reject) => {
      const job = { bytes: opts.bytes ?? requestBytes(host, method, path, opts), timeoutMs: opts.timeoutMs, resolve, reject };
      let c;
      const now = performance.now();
      while ((c = idle.pop()) && c.expired(now)) {
        open--;
        if (!c.dead) {
          c.dead = true;
          c.socket.destroy();
        }
      }
      if (c) return dispatch(c, job);
      if (open < maxSockets) {
        open++;
        return dispatch(new Conn(Number(port), hostname, onIdle), job);
      }
      queue.push(job);
    });
  call.host = host;
  call.close = () => {
    for (const c of idle) c.socket.destroy();
    idle.length = 0;
  };
  return call;
}
