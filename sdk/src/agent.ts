// CapsuleAgent: the one public class. It owns the session (agent id + token) and wires the loops:
// connect (register if needed, report the service), heartbeat, command poll, result delivery.
import { randomUUID } from "node:crypto";
import { Backoff } from "./backoff.js";
import type { Core, Session } from "./core.js";
import { CommandLoop } from "./commandLoop.js";
import { AgentAuthError, CapstanError, NetworkError, RegistrationError, registrationHint, errMsg } from "./errors.js";
import { commandScope, Executor, type ResultBody } from "./executor.js";
import { runHealthCheck } from "./health.js";
import { heartbeatTick } from "./heartbeat.js";
import { request, type Call, type HttpOptions } from "./http.js";
import { quietConsole, safeLogger } from "./logger.js";
import { Loop } from "./loop.js";
import { buildReportedService, type ReportedService } from "./manifest.js";
import { resolveOptions, type Resolved } from "./options.js";
import { ResultOutbox } from "./outbox.js";
import { scrubSecrets } from "./redact.js";
import { register } from "./registration.js";
import { messageAction } from "./message.js";
import type {
  ActionDefinition, AgentState, CapsuleAgentOptions, ConfigItem, HealthReport, Logger, MessageHandler, MessageOptions, PackageRef, PublishEventInput,
  PublishEventResult,
} from "./types.js";

const ACTION_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,79}$/;

export class CapsuleAgent {
  readonly #opts: Resolved;
  readonly #log: Logger;
  readonly #http: HttpOptions;
  readonly #actions = new Map<string, ActionDefinition>();
  /** The tokens this agent holds: scrubbed from everything it logs or sends. */
  readonly #secrets: () => string[];
  #message: { action: ActionDefinition; opts: MessageOptions } | undefined;
  #healthFn: (() => HealthReport | Promise<HealthReport>) | undefined;
  #configsFn: (() => ConfigItem[] | Promise<ConfigItem[]>) | undefined;
  #lastConfigs: ConfigItem[] = [];
  #session: Session | null = null;
  #disabled = false;
  #reported = false;
  #heartbeatMs = 30_000;
  #pollMs = 5_000;
  #current: AgentState = "idle";
  #unreachableSince: number | undefined;
  #stopController = new AbortController();
  readonly #connectBackoff: Backoff;
  readonly #core: Core;
  readonly #executor: Executor;
  readonly #outbox: ResultOutbox;
  readonly #connectLoop: Loop;
  readonly #heartbeatLoop: Loop;
  readonly #heartbeat: () => Promise<number | null>;
  readonly #commandLoop: CommandLoop;
  /** manifest.package, read once on the first report by the lazily loaded dist/package.* (package.ts). */
  readonly #package: () => Promise<PackageRef | undefined>;

  constructor(options: CapsuleAgentOptions) {
    const secrets = (this.#secrets = () => [this.#session?.agentToken, this.#opts?.registrationToken].filter((s): s is string => !!s));
    this.#log = safeLogger(options?.logger ?? quietConsole, secrets);
    this.#opts = resolveOptions(options, this.#log);
    this.#http = { baseUrl: this.#opts.backendUrl ?? "", fetch: this.#opts.fetch, timeoutMs: this.#opts.requestTimeoutMs };
    this.#connectBackoff = new Backoff(this.#opts.backoffBaseMs, this.#opts.backoffMaxMs);
    const self = this;
    this.#core = {
      opts: this.#opts, log: this.#log,
      get session() { return self.#session; },
      get disabled() { return self.#disabled; },
      get heartbeatMs() { return self.#heartbeatMs; },
      get pollMs() { return self.#pollMs; },
      get stopSignal() { return self.#stopController.signal; },
      call: (sub, call) => this.#call(sub, call),
      setIntervals: (d) => this.#setIntervals(d),
      setDisabled: (v) => this.#setDisabled(v),
      healthSnapshot: () => this.#healthSnapshot(),
    };
    this.#executor = new Executor({
      owner: this, actions: this.#actions, messageAction: () => this.#message?.action, log: this.#log, now: this.#opts.now, secrets,
      progressIntervalMs: this.#opts.progressIntervalMs, cancelGraceMs: this.#opts.cancelGraceMs,
      sendProgress: (id, body) => this.#call(`/commands/${encodeURIComponent(id)}/progress`, { method: "POST", body: scrubSecrets(body, secrets()) }),
    });
    this.#outbox = new ResultOutbox(
      (id, body: ResultBody) => this.#call(`/commands/${encodeURIComponent(id)}/result`, { method: "POST", body }),
      new Backoff(this.#opts.backoffBaseMs, this.#opts.backoffMaxMs), this.#opts.maxPendingResults, this.#log,
    );
    this.#connectLoop = new Loop("connect", () => this.#connect(), this.#log);
    this.#heartbeat = heartbeatTick(this.#core);
    this.#heartbeatLoop = new Loop("heartbeat", this.#heartbeat, this.#log);
    this.#commandLoop = new CommandLoop(this.#core, this.#executor, this.#outbox);
    let pkg: Promise<PackageRef | undefined> | undefined;
    this.#package = () => (pkg ??= import("./package.js").then((m) => m.readPackage(options, this.#log), () => undefined));
  }

  /** The health check run before every heartbeat (time-limited; a throw reports DOWN). */
  health(fn: () => HealthReport | Promise<HealthReport>): this {
    this.#healthFn = fn;
    return this;
  }

  /** Config metadata to report. Sensitive items are sent without valuePreview/defaultValue. */
  configs(fn: () => ConfigItem[] | Promise<ConfigItem[]>): this {
    this.#configsFn = fn;
    if (this.#reported) this.refresh();
    return this;
  }

  action<P = any>(def: ActionDefinition<P>): this {
    if (!def || typeof def.name !== "string" || !ACTION_NAME.test(def.name) || (typeof def.handler !== "function") === !def.isolate?.module) {
      throw new TypeError("capstan-agent: an action needs a name (letters, digits, . _ -) and a handler or isolate.module");
    }
    this.#actions.set(def.name, { ...def, label: def.label ?? def.name } as ActionDefinition);
    if (this.#reported) this.refresh();
    return this;
  }

  /**
   * Answers conversation messages Capstan routes to this service (MESSAGE commands). The manifest then
   * declares `message.supportedTypes` (and `commands`); Capstan never routes a message to a service
   * that does not. The handler's return value is the reply: `{text, format?, data?}` or a string.
   */
  onMessage(handler: MessageHandler, opts: MessageOptions = {}): this {
    if (typeof handler !== "function") throw new TypeError("capstan-agent: onMessage needs a handler function");
    this.#message = { action: messageAction(handler, opts), opts };
    if (this.#reported) this.refresh();
    return this;
  }

  /** Reports the service again (configs or actions changed). */
  refresh(): void {
    this.#reported = false;
    this.#connectLoop.wake();
  }

  get state(): AgentState {
    return this.#current;
  }
  get agentId(): string | undefined {
    return this.#session?.agentId;
  }
  get serviceId(): string | undefined {
    return this.#session?.serviceId;
  }
  /** Results produced but not yet acknowledged by the server. */
  get pendingResults(): number {
    return this.#outbox.size;
  }

  /**
   * Registers if needed, reports the service and sends the first heartbeat. Resolves after that
   * first attempt, even if the server is down (the loops keep trying).
   */
  async start(): Promise<void> {
    if (this.#current !== "idle" && this.#current !== "stopped") return;
    if (this.#stopController.signal.aborted) this.#stopController = new AbortController();
    this.#current = "connecting";
    this.#executor.warm();
    let next: number | null;
    try {
      next = await this.#connect();
    } catch (err) {
      this.#log.error("agent start failed; retrying", { error: errMsg(err) });
      next = this.#connectBackoff.next();
    }
    this.#connectLoop.start(next);
  }

  /** Stops the loops, lets running handlers finish (stopGraceMs), then delivers their results. */
  async stop(): Promise<void> {
    if (this.#current === "stopped") return;
    this.#current = "stopped";
    this.#connectLoop.stop();
    this.#heartbeatLoop.stop();
    this.#commandLoop.loop.stop();
    this.#stopController.abort();
    await this.#waitIdle(this.#opts.stopGraceMs);
    if (this.#executor.busy > 0) {
      this.#executor.abortAll("AGENT_STOPPED", "the agent stopped before the action finished");
      await this.#waitIdle(2_000);
    }
    this.#executor.close();
    this.#outbox.loop.stop();
    await this.#outbox.drain(5_000);
  }

  /** Publishes a Capsule Bus event. Never rejects: failures are logged and returned. */
  async publishEvent(input: PublishEventInput): Promise<PublishEventResult> {
    try {
      if (!input || typeof input.eventType !== "string" || input.eventType.length < 1 || input.eventType.length > 120) {
        throw new CapstanError("VALIDATION_FAILED", "eventType must be a string of 1..120 characters");
      }
      const scope = commandScope.getStore();
      const causationId = input.metadata?.causationId ?? (scope?.owner === this ? scope.commandId : undefined);
      const metadata = { ...input.metadata, ...(causationId ? { causationId } : {}) };
      // The server dedupes on the client eventId, which makes a retry after a lost answer safe.
      const body = {
        eventId: input.eventId ?? randomUUID(), eventType: input.eventType, data: input.data ?? {},
        timestamp: input.timestamp ?? this.#opts.now().toISOString(), ...(Object.keys(metadata).length ? { metadata } : {}),
      };
      const data = await this.#call<{ eventId: string; matchedRoutes: unknown; commandIds: string[] }>("/bus/events", {
        method: "POST", body: scrubSecrets(body, this.#secrets()), retries: 2,
      });
      return { ok: true, eventId: data?.eventId, matchedRoutes: data?.matchedRoutes, commandIds: data?.commandIds ?? [] };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.#log.warn("event not published", { eventType: input?.eventType, code: err instanceof CapstanError ? err.code : undefined, error: error.message });
      return { ok: false, error };
    }
  }

  async #call<T>(sub: string, call: Omit<Call, "path" | "token">): Promise<T> {
    const s = this.#session;
    if (!s) throw new CapstanError("NOT_REGISTERED", "the agent is not registered yet");
    try {
      const data = await request<T>(this.#http, { ...call, path: `/api/agents/${encodeURIComponent(s.agentId)}${sub}`, token: s.agentToken });
      this.#noteReachable(undefined);
      return data;
    } catch (err) {
      this.#noteReachable(err);
      if (err instanceof AgentAuthError) {
        if (err.code === "AGENT_DISABLED") this.#setDisabled(true);
        else void this.#onTokenRefused(s, err);
      }
      throw err;
    }
  }

  /** One pass of the connect loop: token -> (register) -> report -> loops running. */
  async #connect(): Promise<number | null> {
    const o = this.#opts;
    if (!o.backendUrl) {
      this.#log.error("no Capstan URL: set CAPSTAN_URL or the backendUrl option; the agent stays idle");
      this.#current = "idle";
      return null;
    }
    if (!this.#session) {
      const stored = await o.tokenStore.load().catch((err: unknown) => {
        this.#log.error("cannot read the agent token", { error: errMsg(err) });
        return null;
      });
      if (stored && (!stored.backendUrl || stored.backendUrl === o.backendUrl)) this.#session = { agentId: stored.agentId, agentToken: stored.agentToken };
      else if (stored) this.#log.warn("the stored agent token belongs to another Capstan server; ignoring it", { storedFor: stored.backendUrl });
    }
    const service = await this.#reportedService();
    if (!this.#session) {
      if (!o.registrationToken) {
        this.#log.error(`cannot register: ${registrationHint("NO_CREDENTIALS", o.agent.code)}; the agent stays idle`);
        this.#current = "idle";
        return null;
      }
      try {
        const reg = await register(this.#http, o.registrationToken, o.agent, service, this.#stopController.signal);
        this.#noteReachable(undefined);
        this.#session = { agentId: reg.agentId, agentToken: reg.agentToken, serviceId: reg.services?.find((x) => x.code === service.code)?.serviceId };
        this.#reported = !!this.#session.serviceId;
        this.#setIntervals(reg);
        await o.tokenStore.save({ agentId: reg.agentId, agentToken: reg.agentToken, backendUrl: o.backendUrl, savedAt: o.now().toISOString() })
          .catch((err: unknown) => this.#log.error("registered, but the agent token could not be saved: the next start will need a new registration token", { error: errMsg(err) }));
        this.#log.info("registered with Capstan", { agentId: reg.agentId, agentCode: o.agent.code });
      } catch (err) {
        if (err instanceof RegistrationError) {
          this.#log.error(`registration refused (${err.code}): ${err.hint}; the agent stays idle`, { agentCode: o.agent.code });
          this.#current = "idle";
          return null;
        }
        return this.#retryLater(err);
      }
    }
    if (!this.#reported) {
      try {
        const data = await this.#call<{ services?: { code: string; serviceId: string }[] }>("/services/report", {
          method: "POST", body: { services: [service] }, retries: 2, signal: this.#stopController.signal,
        });
        if (this.#session) this.#session.serviceId = data?.services?.find((x) => x.code === service.code)?.serviceId ?? this.#session.serviceId;
        this.#reported = true;
      } catch (err) {
        if (err instanceof AgentAuthError) return null; // onTokenRefused wakes this loop
        if (err instanceof CapstanError && !(err instanceof NetworkError)) {
          this.#log.error(`service report refused (${err.code}): ${err.message}`, { serviceCode: service.code });
          return o.backoffMaxMs;
        }
        return this.#retryLater(err);
      }
    }
    this.#connectBackoff.reset();
    this.#current = this.#disabled ? "disabled" : "running";
    // The first heartbeat inline: when start() resolves the agent is ONLINE and can take commands.
    if (!this.#heartbeatLoop.isRunning) this.#heartbeatLoop.start(await this.#heartbeat());
    else this.#heartbeatLoop.wake();
    for (const loop of [this.#commandLoop.loop, this.#outbox.loop]) loop.start();
    return null;
  }

  #retryLater(err: unknown): number {
    if (this.#stopController.signal.aborted) return 0;
    if (!(err instanceof NetworkError)) throw err;
    this.#noteReachable(err);
    return err.retryAfterMs ?? this.#connectBackoff.next();
  }

  /** One warning when Capstan becomes unreachable and one line when it is back, whichever loop notices. */
  #noteReachable(err: unknown): void {
    if (err === undefined) {
      if (this.#unreachableSince !== undefined) this.#log.info("Capstan reachable again", { downForMs: Date.now() - this.#unreachableSince });
      this.#unreachableSince = undefined;
    } else if (err instanceof NetworkError && this.#unreachableSince === undefined && !this.#stopController.signal.aborted) {
      this.#unreachableSince = Date.now();
      this.#log.warn("Capstan unreachable; retrying with backoff", { code: err.code, error: err.message });
    }
  }

  /** 401 (or the agent revoked): the token is useless. Drop it; register again if we can. */
  async #onTokenRefused(used: Session, err: AgentAuthError): Promise<void> {
    if (this.#session !== used) return; // another loop already handled this session
    this.#session = null;
    this.#reported = false;
    this.#disabled = false;
    await this.#opts.tokenStore.clear().catch(() => undefined);
    if (!this.#opts.registrationToken) {
      this.#log.error(
        `the agent token was refused (${err.code}) and no registration token is configured; the agent stays idle: ` +
        `create a re-enroll token for agent "${this.#opts.agent.code}" in the console and set CAPSTAN_REGISTRATION_TOKEN`,
      );
      this.#current = "idle";
      return;
    }
    this.#log.warn(`the agent token was refused (${err.code}); registering again with the configured registration token`);
    this.#current = "connecting";
    this.#connectLoop.wake();
  }

  #setIntervals(d: { heartbeatIntervalSeconds?: unknown; commandPollIntervalSeconds?: unknown } | undefined): void {
    const ms = (v: unknown, fallback: number) => (typeof v === "number" && v >= 1 ? Math.min(v, 3600) * 1000 : fallback);
    this.#heartbeatMs = ms(d?.heartbeatIntervalSeconds, this.#heartbeatMs);
    this.#pollMs = ms(d?.commandPollIntervalSeconds, this.#pollMs);
  }

  #setDisabled(disabled: boolean): void {
    if (this.#disabled === disabled) return;
    this.#disabled = disabled;
    if (this.#current === "stopped") return;
    if (disabled) this.#log.warn("the agent is DISABLED in Capstan: no commands until an operator enables it; heartbeating slowly");
    this.#current = disabled ? "disabled" : "running";
    // Disabled: the heartbeat switches to its slow rate now (it is what notices the enable);
    // enabled: polling resumes at once.
    if (disabled) this.#heartbeatLoop.wake();
    else this.#commandLoop.loop.wake();
  }

  #healthSnapshot(): Promise<HealthReport> {
    return runHealthCheck(this.#healthFn, this.#opts.healthTimeoutMs, this.#secrets());
  }

  async #reportedService(): Promise<ReportedService> {
    if (this.#configsFn) {
      try {
        const items = await this.#configsFn();
        if (Array.isArray(items)) this.#lastConfigs = items;
      } catch (err) {
        this.#log.error("the configs callback failed; reporting the last known configs", { error: errMsg(err) });
      }
    }
    return buildReportedService(this.#opts.agent.code, this.#opts.service, this.#lastConfigs, this.#actions.values(), await this.#healthSnapshot(),
      this.#message && { supportedTypes: this.#message.opts.supportedTypes ?? ["QUERY", "COMMAND", "EVENT"], ...(this.#message.opts.commands ? { commands: this.#message.opts.commands } : {}) },
      await this.#package());
  }

  async #waitIdle(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    // Plain (ref'd) timers: a host awaiting stop() must not exit before its results are out.
    while (this.#executor.busy > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
}
