// The one HTTP call. Retry table (per call site, `retries` defaults to 0):
//   network error, timeout, 408, 429, 5xx -> retried up to `retries` times, honouring Retry-After
//     (capped at 60 s), else 0.5 s * 2^n up to 8 s with 25% jitter;
//   409 is NOT retried: in the Capstan contract it is a final state conflict, not a lock timeout;
//   other 4xx -> thrown at once.
// Only calls the server dedupes pass retries > 0: heartbeat, service report, bus events (keyed by
// the client eventId). Registration and progress are never retried here; results are retried by
// the delivery loop (keyed by commandId).
import { AgentAuthError, CapstanError, NetworkError, errMsg } from "./errors.js";
import { sleep } from "./backoff.js";

declare const SDK_VERSION: string;
export const VERSION: string = typeof SDK_VERSION === "string" ? SDK_VERSION : "0.0.0-dev";

export interface HttpOptions {
  baseUrl: string;
  fetch: typeof fetch;
  timeoutMs: number;
}

export interface Call {
  method: "GET" | "POST";
  path: string;
  token?: string | undefined;
  body?: unknown;
  /** Overrides the default timeout (long polls). Covers the body read too. */
  timeoutMs?: number;
  retries?: number;
  /** Aborts the call (agent stopping). */
  signal?: AbortSignal | undefined;
}

const MAX_RETRY_AFTER_MS = 60_000;

export async function request<T>(http: HttpOptions, call: Call): Promise<T> {
  const retries = call.retries ?? 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await once<T>(http, call);
    } catch (err) {
      if (!(err instanceof NetworkError) || attempt >= retries || call.signal?.aborted) throw err;
      const exp = Math.min(8_000, 500 * 2 ** attempt);
      await sleep(err.retryAfterMs ?? exp * (0.75 + Math.random() * 0.25), call.signal);
    }
  }
}

async function once<T>(http: HttpOptions, call: Call): Promise<T> {
  const timeoutMs = call.timeoutMs ?? http.timeoutMs;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  timer.unref?.();
  const onAbort = () => controller.abort();
  call.signal?.addEventListener("abort", onAbort, { once: true });
  const headers: Record<string, string> = { accept: "application/json", "user-agent": `capstan-agent/${VERSION}` };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.body !== undefined) headers["content-type"] = "application/json";
  let status = 0;
  let text: string;
  let retryAfter: string | null = null;
  try {
    const res = await http.fetch(http.baseUrl + call.path, {
      method: call.method,
      headers,
      body: call.body === undefined ? null : JSON.stringify(call.body),
      signal: controller.signal,
    });
    status = res.status;
    retryAfter = res.headers.get("retry-after");
    text = await res.text();
  } catch (err) {
    const why = controller.signal.aborted ? (call.signal?.aborted ? "aborted" : `timed out after ${timeoutMs} ms`) : describe(err);
    throw new NetworkError(controller.signal.aborted && !call.signal?.aborted ? "TIMEOUT" : "NETWORK_ERROR", `${call.method} ${call.path}: ${why}`, status || undefined);
  } finally {
    clearTimeout(timer);
    call.signal?.removeEventListener("abort", onAbort);
  }
  let json: { success?: boolean; data?: unknown; error?: { code?: unknown; message?: unknown } } | undefined;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = undefined; // a proxy's HTML error page, for instance
  }
  if (status >= 200 && status < 300 && json) return json.data as T;
  const code = typeof json?.error?.code === "string" ? json.error.code : `HTTP_${status}`;
  const message = `${call.method} ${call.path}: ${status} ${typeof json?.error?.message === "string" ? json.error.message : "unexpected response"}`;
  if (status === 408 || status === 429 || status >= 500 || !json) {
    throw new NetworkError(code, message, status, parseRetryAfter(retryAfter));
  }
  // 403s about something other than the agent itself (e.g. a service owned by another agent) are
  // ordinary refusals, not a reason to drop the token.
  if (status === 401 || (status === 403 && code.startsWith("AGENT_"))) throw new AgentAuthError(code, message, status);
  throw new CapstanError(code, message, status);
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? errMsg(err);
}
