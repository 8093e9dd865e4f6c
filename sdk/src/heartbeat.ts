// Heartbeat loop: health rides on every heartbeat; the server's answer sets the intervals. While the
// agent is DISABLED it keeps heartbeating slowly, so it resumes by itself once an operator enables it.
import { Backoff } from "./backoff.js";
import { AgentAuthError, NetworkError, errFields } from "./errors.js";
import type { Core } from "./core.js";
import type { Tick } from "./loop.js";

export function heartbeatTick(core: Core): Tick {
  const backoff = new Backoff(core.opts.backoffBaseMs, core.opts.backoffMaxMs);
  return async () => {
    const session = core.session;
    if (!session) return null;
    const health = await core.healthSnapshot();
    try {
      const data = await core.call<{ heartbeatIntervalSeconds?: number; commandPollIntervalSeconds?: number }>("/heartbeat", {
        method: "POST", body: { ...(session.serviceId ? { serviceId: session.serviceId } : {}), health }, retries: 2, signal: core.stopSignal,
      });
      core.setIntervals(data);
      if (core.disabled) {
        core.log.info("agent enabled again; resuming command polling");
        core.setDisabled(false);
      }
      backoff.reset();
      return core.heartbeatMs;
    } catch (err) {
      if (err instanceof AgentAuthError) return err.code === "AGENT_DISABLED" ? core.opts.disabledHeartbeatMs : null;
      if (err instanceof NetworkError) return err.retryAfterMs ?? backoff.next();
      core.log.warn("heartbeat refused", errFields(err));
      return core.heartbeatMs;
    }
  };
}
