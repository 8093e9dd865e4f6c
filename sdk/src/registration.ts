// Registration: trades the one-time registration token for an agent token. Never retried blindly:
// a refusal is final (logged with what the operator must do); only transient failures are retried
// by the caller's loop, and if the server did consume the token the retry gets a clear refusal.
import { hostname } from "node:os";
import { CapstanError, NetworkError, RegistrationError, registrationHint } from "./errors.js";
import { request, VERSION, type HttpOptions } from "./http.js";
import type { ReportedService } from "./manifest.js";

export interface Registered {
  agentId: string;
  agentToken: string;
  heartbeatIntervalSeconds?: number;
  commandPollIntervalSeconds?: number;
  services?: { code: string; serviceId: string }[];
}

export async function register(
  http: HttpOptions, registrationToken: string, agent: { code: string; name?: string | undefined }, service: ReportedService, signal?: AbortSignal,
): Promise<Registered> {
  const body = {
    registrationToken,
    agent: {
      code: agent.code, ...(agent.name ? { name: agent.name } : {}), mode: "embedded", runtime: "nodejs", version: VERSION,
      hostname: safeHostname(), os: process.platform, arch: process.arch,
    },
    service,
  };
  try {
    const data = await request<Registered>(http, { method: "POST", path: "/api/agents/register", body, signal });
    if (!data || typeof data.agentId !== "string" || typeof data.agentToken !== "string") {
      throw new NetworkError("BAD_RESPONSE", "registration answer has no agentId/agentToken");
    }
    return data;
  } catch (err) {
    if (err instanceof NetworkError || !(err instanceof CapstanError)) throw err;
    throw new RegistrationError(err.code, err.message, registrationHint(err.code, agent.code), err.status);
  }
}

function safeHostname(): string {
  try {
    return hostname();
  } catch {
    return "unknown";
  }
}
