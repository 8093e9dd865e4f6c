// The notification events, derived in one place from the audit trail: every notifiable change
// already writes an audit event inside its transaction, so the rule table below turns that row
// into the event (outbox.ts enqueues it in the same transaction). Adding an event: add its type to
// NOTIFICATION_EVENT_TYPES (src/vocabulary.ts) and a rule here; the Record type keeps this complete.
import type { AuditRow } from "../../db/audit.js";
import { NOTIFICATION_EVENT_TYPES, type NotificationEventType } from "../../vocabulary.js";

interface Rule {
  /** The audit action(s) the event comes from. */
  audit: string | readonly string[];
  /** A further condition on that audit event (e.g. which health transition). */
  when?: (a: AuditRow) => boolean;
  /** One line for humans: Slack text, the console's test and log views. */
  summary: (a: AuditRow) => string;
}

const meta = (a: AuditRow, key: string): string | undefined => {
  const v = a.metadata?.[key];
  return typeof v === "string" ? v : undefined;
};
const name = (a: AuditRow, key = "code"): string => meta(a, key) ?? a.targetId ?? "unknown";

export const NOTIFICATION_RULES: Record<NotificationEventType, Rule> = {
  "agent.offline": { audit: "system.agent.offline", summary: (a) => `Agent ${name(a)} went offline (no heartbeat since ${meta(a, "lastHeartbeatAt") ?? "registration"})` },
  "agent.online": { audit: "agent.online", summary: (a) => `Agent ${name(a)} is back online` },
  "service.unhealthy": {
    audit: "service.health.changed", when: (a) => meta(a, "to") === "DOWN",
    summary: (a) => `Service ${name(a)} health went DOWN (was ${meta(a, "from") ?? "unknown"})`,
  },
  "service.recovered": {
    audit: "service.health.changed", when: (a) => meta(a, "from") === "DOWN" && meta(a, "to") !== "DOWN",
    summary: (a) => `Service ${name(a)} recovered: health ${meta(a, "to") ?? "unknown"}`,
  },
  "command.failed": { audit: "command.failed", summary: (a) => `Command ${a.targetId ?? ""} (${meta(a, "actionName") ?? "action"}) failed${meta(a, "errorCode") ? `: ${meta(a, "errorCode")}` : ""}` },
  "command.expired": { audit: "system.command.expired", summary: (a) => `Command ${a.targetId ?? ""} (${meta(a, "actionName") ?? "action"}) expired` },
  // approvals (domain/approvals): the request's own audit trail, target type Approval
  "approval.requested": { audit: "approval.requested", summary: (a) => `Approval ${a.targetId ?? ""} requested${meta(a, "actionName") ? ` for ${meta(a, "actionName")}` : ""}` },
  "approval.decided": {
    audit: ["approval.approved", "approval.rejected", "approval.cancelled", "approval.expired"],
    summary: (a) => `Approval ${a.targetId ?? ""} ${a.action.slice("approval.".length)}`,
  },
};

export interface NotificationEvent {
  type: NotificationEventType | "webhook.test";
  /** ISO time of the change (the audit event's). */
  timestamp: string;
  summary: string;
  data: Record<string, unknown>;
}

/** Bigger metadata is left out of the event (the spec keeps bodies under 20 KB); the audit trail has it. */
const METADATA_MAX_JSON = 12 * 1024;

/** The events one audit row stands for (usually none; never more than a few). */
export function eventsFromAudit(a: AuditRow): NotificationEvent[] {
  const out: NotificationEvent[] = [];
  for (const type of NOTIFICATION_EVENT_TYPES) {
    const rule = NOTIFICATION_RULES[type];
    if (!fromAudit(rule, a.action) || (rule.when && !rule.when(a))) continue;
    const metadata = a.metadata && JSON.stringify(a.metadata).length <= METADATA_MAX_JSON ? a.metadata : a.metadata ? { truncated: true } : {};
    out.push({
      type, timestamp: a.createdAt, summary: rule.summary(a).slice(0, 500),
      data: {
        auditEventId: a.id, action: a.action, target: { type: a.targetType, id: a.targetId }, actor: { type: a.actorType, id: a.actorId },
        result: a.result, message: a.message?.slice(0, 1000) ?? null, metadata,
      },
    });
  }
  return out;
}

/** Whether an audit action can produce an event at all: the cheap check writeAudit makes first. */
const fromAudit = (rule: Rule, action: string): boolean => (typeof rule.audit === "string" ? rule.audit === action : rule.audit.includes(action));

export const isNotifiableAction = (action: string): boolean => NOTIFICATION_EVENT_TYPES.some((t) => fromAudit(NOTIFICATION_RULES[t], action));
