// What the loops share with the agent: the current session and one way to call the agent API.
import type { Call } from "./http.js";
import type { HealthReport, Logger } from "./types.js";
import type { Resolved } from "./options.js";

export interface Session {
  agentId: string;
  agentToken: string;
  serviceId?: string | undefined;
}

export interface Core {
  readonly opts: Resolved;
  readonly log: Logger;
  /** Null while unregistered or re-registering: loops then sleep until woken. */
  readonly session: Session | null;
  readonly disabled: boolean;
  readonly heartbeatMs: number;
  readonly pollMs: number;
  /** Aborted by stop(): ends long polls and sleeps at once. */
  readonly stopSignal: AbortSignal;
  /** Calls `/api/agents/{agentId}<sub>` with the agent token; 401/403 are routed to the agent before rethrowing. */
  call<T>(sub: string, call: Omit<Call, "path" | "token">): Promise<T>;
  setIntervals(data: { heartbeatIntervalSeconds?: unknown; commandPollIntervalSeconds?: unknown } | undefined): void;
  setDisabled(disabled: boolean): void;
  healthSnapshot(): Promise<HealthReport>;
}
