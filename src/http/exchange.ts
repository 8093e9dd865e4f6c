// One request's answering end, kept apart from its Ctx: the response, the request id, when it started
// and who asked: what sending the reply and writing the access-log line need. Every request ends in
// finish(), whether app.ts answers it or the hub answers a parked long poll later (domain/hub.ts); a
// parked poll keeps only this and its hub record, not the request's context, closures and async chain.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { App } from "../context.js";
import { apiErrorReply } from "./errorReply.js";
import { ok, type Reply } from "./reply.js";
import { sendReply } from "./send.js";

export class Exchange {
  /** The client went away before the answer was complete. */
  clientGone = false;
  /** A parked long poll's hub record, told when the client goes away. */
  parked: { clientLeft(): void } | undefined = undefined;
  /** Who asked, for the access log (app.ts says once the handler is done). */
  private actor: "user" | "agent" | undefined = undefined;
  private actorId: string | undefined = undefined;
  /** Headers added to whatever the reply is (Ctx.extraHeaders is this object). */
  readonly extraHeaders: Record<string, string | string[]> = {};
  // Made on first use (prepare waits, downloads): building a controller for every request and an
  // AbortError for every finished one cost ~8% of a heartbeat's CPU (--cpu-prof, docs/benchmarks.md).
  private aborter: AbortController | undefined = undefined;

  constructor(
    readonly app: App,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    /** The matched route pattern (never the raw path) for the log line and metrics. */
    readonly routePattern: string,
    private readonly started: bigint,
  ) {
    res.on("close", () => this.closed());
  }

  identify(actor: "user" | "agent", actorId: string): void {
    this.actor = actor;
    this.actorId = actorId;
  }

  /** Aborted when the client leaves before the answer is complete. */
  get signal(): AbortSignal {
    this.aborter ??= new AbortController();
    if (this.clientGone) this.aborter.abort();
    return this.aborter.signal;
  }

  private closed(): void {
    if (this.res.writableFinished) return;
    this.clientGone = true;
    this.aborter?.abort();
    this.parked?.clientLeft(); // a parked long poll answers now (domain/hub.ts)
  }

  /**
   * Sends the reply, then writes the access-log line and runs the request hooks (metrics). A parked
   * reply sends and logs nothing: the hub answers later through answer() or fail(), which end here.
   */
  async finish(reply: Reply | Promise<Reply>): Promise<void> {
    try {
      const r = await reply;
      if (r.kind === "parked") return;
      // set when sending, not on arrival: a parked poll holds no outgoing-header table until it answers
      if (!this.res.headersSent) this.res.setHeader("X-Request-Id", this.requestId);
      await sendReply(this.req, this.res, r, this.extraHeaders);
    } catch (err) {
      this.app.log.error("failed to send response", { requestId: this.requestId, error: String(err) });
      this.res.destroy();
    }
    const ms = Number(process.hrtime.bigint() - this.started) / 1e6;
    const status = this.res.statusCode;
    const method = this.req.method ?? "GET";
    this.app.runtime.counters.httpRequests++;
    for (const hook of this.app.runtime.onRequest) hook({ method, route: this.routePattern, status, ms });
    this.app.log.info("request", {
      requestId: this.requestId, method, route: this.routePattern, status, ms: Math.round(ms * 10) / 10,
      ...(this.actor ? { actor: this.actor, actorId: this.actorId } : {}),
    });
  }

  /** A parked request's answer: `data` in the success envelope. */
  answer(data: unknown): void {
    this.settle(ok(data));
  }

  /** A parked request failed while being answered: the error envelope (logged when unexpected). */
  fail(err: unknown): void {
    this.settle(apiErrorReply(this.app, this.requestId, this.routePattern, err));
  }

  private settle(reply: Reply): void {
    this.finish(reply).catch((err: unknown) => this.app.log.error("failed to finish a parked request", { requestId: this.requestId, error: String(err) }));
  }
}
