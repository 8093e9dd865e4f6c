// Options with their defaults (sdk.md). The environment is read here only, as the documented
// fallback for the three deployment settings.
import type { CapsuleAgentOptions, Logger, ServiceInfo, TokenStore } from "./types.js";
import { FileTokenStore } from "./tokenStore.js";

export interface Resolved {
  backendUrl: string | undefined;
  registrationToken: string | undefined;
  tokenStore: TokenStore;
  agent: { code: string; name?: string | undefined };
  service: ServiceInfo;
  concurrency: number;
  longPollSeconds: number;
  requestTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  progressIntervalMs: number;
  cancelGraceMs: number;
  stopGraceMs: number;
  disabledHeartbeatMs: number;
  healthTimeoutMs: number;
  maxPendingResults: number;
  fetch: typeof fetch;
  now: () => Date;
}

const CODE = /^[a-z0-9][a-z0-9_-]{0,79}$/;

const num = (v: number | undefined, def: number, min: number, max: number): number =>
  typeof v === "number" && Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : def;

export function resolveOptions(o: CapsuleAgentOptions, log: Logger): Resolved {
  // A bad code is a programming error: fail at construction, where the developer sees it.
  if (!o?.agent || typeof o.agent.code !== "string" || !CODE.test(o.agent.code)) {
    throw new TypeError("capstan-agent: agent.code is required: lowercase letters, digits, '-' or '_', at most 80 characters");
  }
  const serviceCode = o.service?.code ?? o.agent.code;
  if (!CODE.test(serviceCode)) throw new TypeError("capstan-agent: service.code must look like agent.code");
  const env = process.env;
  const backendUrl = (o.backendUrl ?? env.CAPSTAN_URL)?.replace(/\/+$/, "") || undefined;
  const tokenFile = o.tokenFile ?? env.CAPSTAN_AGENT_TOKEN_FILE ?? "./data/agent-token.json";
  return {
    backendUrl,
    registrationToken: o.registrationToken ?? (env.CAPSTAN_REGISTRATION_TOKEN || undefined),
    tokenStore: o.tokenStore ?? new FileTokenStore(tokenFile, log),
    agent: { code: o.agent.code, name: o.agent.name },
    service: o.service ?? {},
    concurrency: Math.floor(num(o.concurrency, 1, 1, 10)),
    longPollSeconds: o.longPoll === false ? 0 : Math.floor(num(o.longPollSeconds, 25, 1, 30)),
    requestTimeoutMs: num(o.requestTimeoutMs, 10_000, 100, 300_000),
    backoffBaseMs: num(o.backoff?.baseMs, 1_000, 1, 600_000),
    backoffMaxMs: num(o.backoff?.maxMs, 60_000, 1, 3_600_000),
    progressIntervalMs: num(o.progressIntervalMs, 500, 10, 60_000),
    cancelGraceMs: num(o.cancelGraceMs, 2_000, 0, 600_000),
    stopGraceMs: num(o.stopGraceMs, 10_000, 0, 600_000),
    disabledHeartbeatMs: num(o.disabledHeartbeatSeconds, 60, 0.01, 3600) * 1000,
    healthTimeoutMs: num(o.healthTimeoutMs, 5_000, 10, 600_000),
    maxPendingResults: Math.floor(num(o.maxPendingResults, 100, 1, 100_000)),
    fetch: o.fetch ?? globalThis.fetch.bind(globalThis),
    now: o.now ?? (() => new Date()),
  };
}
