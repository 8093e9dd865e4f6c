// Per-agent ingest limit: a fixed one-minute window per agent (auth/limits.ts), counted in the
// database so that it holds across nodes: an agent whose events are spread over N nodes by a load
// balancer is refused at the same total as on one node. Its job is to stop a runaway publisher, not
// to meter usage; the cost is one upsert per event.
import type { App } from "../../context.js";
import { countInWindow } from "../../auth/limits.js";
import { AppError } from "../../errors.js";
import { auditRefusal } from "../commands/lifecycle.js";

/**
 * Counts one event for the agent; past `config.busIngestPerMin` in the current window throws 429
 * BUS_RATE_LIMITED with Retry-After. Only the first refusal of a window (on any node) is audited, so
 * a flood cannot flood the audit log as well.
 */
export async function takeIngestSlot(app: App, agentId: string, requestId?: string): Promise<void> {
  const limit = app.config.busIngestPerMin;
  const verdict = await countInWindow(app, `bus:${agentId}`, limit);
  if (verdict.allowed) return;
  const retryAfter = verdict.retryAfterSeconds;
  if (verdict.firstRefusal) {
    await auditRefusal(app, { type: "AGENT", id: agentId }, "bus.event.received", { type: "Agent", id: agentId }, "BUS_RATE_LIMITED", {
      limitPerMinute: limit, message: "further events from this agent are refused until the window ends (only the first refusal is audited)",
    }, requestId);
  }
  throw new AppError("BUS_RATE_LIMITED", `this agent may publish ${limit} events per minute; retry in ${retryAfter} s`, { limitPerMinute: limit, retryAfterSeconds: retryAfter }, {
    "Retry-After": String(retryAfter),
  });
}
