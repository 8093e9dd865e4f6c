// Per-agent ingest limit, in memory (app.runtime.busIngestWindows): a fixed one-minute window per agent. A restart resets it, which
// is fine for a guard whose job is to stop a runaway publisher, not to meter usage.
import type { App } from "../../context.js";
import { AppError } from "../../errors.js";
import { auditRefusal } from "../commands/lifecycle.js";

const WINDOW_MS = 60_000;
/** Bounded memory: past this many tracked agents, finished windows are dropped. */
const MAX_TRACKED = 10_000;

export interface IngestWindow {
  startMs: number;
  count: number;
  refusalAudited: boolean;
}

/**
 * Counts one event for the agent; past `config.busIngestPerMin` in the current window throws 429
 * BUS_RATE_LIMITED with Retry-After. Only the first refusal of a window is audited, so a flood cannot
 * flood the audit log as well.
 */
export async function takeIngestSlot(app: App, agentId: string, requestId?: string): Promise<void> {
  const windows = app.runtime.busIngestWindows;
  const nowMs = app.now().getTime();
  let w = windows.get(agentId);
  if (!w || nowMs - w.startMs >= WINDOW_MS) {
    if (!w && windows.size >= MAX_TRACKED) {
      for (const [id, old] of windows) if (nowMs - old.startMs >= WINDOW_MS) windows.delete(id);
    }
    w = { startMs: nowMs, count: 0, refusalAudited: false };
    windows.set(agentId, w);
  }
  const limit = app.config.busIngestPerMin;
  if (w.count < limit) {
    w.count++;
    return;
  }
  const retryAfter = Math.max(1, Math.ceil((w.startMs + WINDOW_MS - nowMs) / 1000));
  if (!w.refusalAudited) {
    w.refusalAudited = true;
    await auditRefusal(app, { type: "AGENT", id: agentId }, "bus.event.received", { type: "Agent", id: agentId }, "BUS_RATE_LIMITED", {
      limitPerMinute: limit, message: "further events from this agent are refused until the window ends (only the first refusal is audited)",
    }, requestId);
  }
  throw new AppError("BUS_RATE_LIMITED", `this agent may publish ${limit} events per minute; retry in ${retryAfter} s`, { limitPerMinute: limit, retryAfterSeconds: retryAfter }, {
    "Retry-After": String(retryAfter),
  });
}
