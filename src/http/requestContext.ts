// One request's Ctx as a class instance. It was an object literal with three getters: V8 gives each
// accessor of a literal its own AccessorPair, allocated in the old generation, whose getter closures
// hold the handler's whole scope (request, response, Exchange, route, ctx). Every scavenge treats an
// old-space object as a root until the next full GC, so each request's graph, long finished, was copied
// and promoted: ~5 KB of old-space garbage per heartbeat (bare node:http: ~40 bytes), what grew the heap
// of a held fleet between full GCs (issue #16). Getters on a class live once, on the prototype.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AdminIdentity, AgentIdentity, App, Ctx } from "../context.js";
import { decodeBody, readRawBody } from "./body.js";
import { parseCookies } from "./cookies.js";
import type { Exchange } from "./exchange.js";

export class RequestContext implements Ctx {
  admin?: AdminIdentity;
  agent?: AgentIdentity;
  navCounts?: { pendingApprovals: number };
  readonly cookies: Record<string, string>;
  readonly extraHeaders: Record<string, string | string[]>;
  private bodyPromise: Promise<unknown> | undefined = undefined;

  constructor(
    readonly app: App,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly exchange: Exchange,
    readonly path: string,
    readonly query: URLSearchParams,
    readonly params: Record<string, string>,
    /** The route's body limit (or the configured one). */
    private readonly bodyLimit: number,
  ) {
    this.cookies = parseCookies(req.headers.cookie);
    this.extraHeaders = exchange.extraHeaders;
  }

  get requestId(): string {
    return this.exchange.requestId;
  }

  get routePattern(): string {
    return this.exchange.routePattern;
  }

  /** Read on use (logins, registrations): asking the socket caches its peer address object on it, for every held connection. */
  get ip(): string {
    return clientIp(this.req, this.app.config.trustProxy);
  }

  get signal(): AbortSignal {
    return this.exchange.signal;
  }

  get clientGone(): boolean {
    return this.exchange.clientGone;
  }

  /** The parsed body, read once with the route's byte limit. */
  body(): Promise<unknown> {
    return (this.bodyPromise ??= readRawBody(this.req, this.bodyLimit).then((raw) => decodeBody(raw, this.req.headers["content-type"])));
  }
}

export const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const fwd = headerValue(req.headers["x-forwarded-for"]);
    if (fwd) return fwd.split(",")[0]!.trim();
  }
  return req.socket.remoteAddress ?? "unknown";
}
