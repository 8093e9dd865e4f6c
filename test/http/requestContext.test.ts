// The request context (http/requestContext.ts) keeps its getters on the prototype. An object literal
// with getters gave every request old-generation AccessorPairs whose closures held the finished request
// through every scavenge (issue #16): this pins the shape, and what the getters and body() answer.
import { PassThrough } from "node:stream";
import type { IncomingMessage, ServerResponse } from "node:http";
import t from "tap";
import type { App } from "../../src/context.js";
import type { Exchange } from "../../src/http/exchange.js";
import { RequestContext } from "../../src/http/requestContext.js";

function fakeRequest(headers: Record<string, string>, body: string): IncomingMessage {
  const req = new PassThrough() as unknown as IncomingMessage & PassThrough;
  Object.assign(req, { headers, socket: { remoteAddress: "10.0.0.9" } });
  process.nextTick(() => req.end(body));
  return req;
}

const exchange = { requestId: "node-1", routePattern: "/api/x", clientGone: false, signal: new AbortController().signal, extraHeaders: {} } as unknown as Exchange;
const appWith = (trustProxy: boolean) => ({ config: { trustProxy } }) as unknown as App;
const make = (trustProxy: boolean, headers: Record<string, string>, body = "") =>
  new RequestContext(appWith(trustProxy), fakeRequest(headers, body), {} as ServerResponse, exchange, "/api/x", new URLSearchParams("a=1"), { id: "7" }, 1024);

t.test("no accessor of its own: ip, signal, clientGone, requestId, routePattern come from the prototype", async (t) => {
  const ctx = make(false, {});
  for (const name of ["ip", "signal", "clientGone", "requestId", "routePattern", "body"]) {
    t.equal(Object.getOwnPropertyDescriptor(ctx, name), undefined, `${name} is not an own property`);
  }
  t.equal(ctx.requestId, "node-1");
  t.equal(ctx.routePattern, "/api/x");
  t.equal(ctx.clientGone, false);
  t.equal(ctx.signal, exchange.signal);
  t.equal(ctx.extraHeaders, exchange.extraHeaders, "headers added through ctx reach the reply");
  t.same(ctx.params, { id: "7" });
});

t.test("ip: the socket's address, or the first X-Forwarded-For hop behind a trusted proxy", async (t) => {
  t.equal(make(false, { "x-forwarded-for": "1.2.3.4" }).ip, "10.0.0.9");
  t.equal(make(true, { "x-forwarded-for": " 1.2.3.4 , 5.6.7.8" }).ip, "1.2.3.4");
  t.equal(make(true, {}).ip, "10.0.0.9");
});

t.test("body(): parsed once, the same promise on every call; cookies parsed from the header", async (t) => {
  const ctx = make(false, { "content-type": "application/json", cookie: "capstan_session=abc; x=1" }, '{"a":[1,2]}');
  const first = ctx.body();
  t.equal(ctx.body(), first);
  t.same(await first, { a: [1, 2] });
  t.same(ctx.cookies, { capstan_session: "abc", x: "1" });
});
