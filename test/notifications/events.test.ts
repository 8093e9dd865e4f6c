// The one rule table (src/domain/notifications/events.ts): every subscribable event type has a rule,
// and each audit event of the trail maps to the right notification (or to none).
import t from "tap";
import type { AuditRow } from "../../src/db/audit.js";
import { NOTIFICATION_RULES, eventsFromAudit, isNotifiableAction } from "../../src/domain/notifications/events.js";
import { NOTIFICATION_EVENT_TYPES } from "../../src/vocabulary.js";

const audit = (action: string, metadata: Record<string, unknown> = {}): AuditRow => ({
  id: "aud_1", createdAt: "2030-01-01T00:00:00.000Z", actorType: "SYSTEM", actorId: null, action, targetType: "X", targetId: "x_1",
  result: "SUCCESS", message: null, metadata, requestId: null,
});
const types = (a: AuditRow) => eventsFromAudit(a).map((e) => e.type);

t.test("each audit action maps to its notification", async (t) => {
  t.same(Object.keys(NOTIFICATION_RULES).sort(), [...NOTIFICATION_EVENT_TYPES].sort(), "one rule per subscribable type");
  t.same(types(audit("system.agent.offline", { code: "a1" })), ["agent.offline"]);
  t.same(types(audit("agent.online")), ["agent.online"]);
  t.same(types(audit("agent.heartbeat.received", { previousStatus: "OFFLINE", status: "ONLINE" })), [], "the sampled heartbeat is not the transition");
  t.same(types(audit("service.health.changed", { from: "UP", to: "DOWN" })), ["service.unhealthy"]);
  t.same(types(audit("service.health.changed", { from: "DOWN", to: "DEGRADED" })), ["service.recovered"]);
  t.same(types(audit("service.health.changed", { from: "UP", to: "DEGRADED" })), [], "DEGRADED is not DOWN");
  t.same(types(audit("command.failed", { errorCode: "X" })), ["command.failed"]);
  t.same(types(audit("system.command.expired")), ["command.expired"]);
  t.same(types(audit("command.completed")), []);
  // emitted by the approvals feature through the same audit writer
  t.same(types(audit("approval.requested")), ["approval.requested"]);
  for (const a of ["approval.approved", "approval.rejected", "approval.cancelled", "approval.expired"]) t.same(types(audit(a)), ["approval.decided"], a);
  t.same(types(audit("approval.reviewed")), [], "a first of two approvals decides nothing");
  t.notOk(isNotifiableAction("command.created"), "most actions cost no query");
});

t.test("the event carries the audit event's facts, bounded", async (t) => {
  const [e] = eventsFromAudit(audit("command.failed", { actionName: "restart", errorCode: "DISK_FULL", big: "x".repeat(20_000) }));
  t.equal(e!.summary, "Command x_1 (restart) failed: DISK_FULL");
  t.same(e!.data.metadata, { truncated: true }, "oversized metadata is left to the audit trail");
  t.same(e!.data.target, { type: "X", id: "x_1" });
  t.equal(e!.timestamp, "2030-01-01T00:00:00.000Z");
});
