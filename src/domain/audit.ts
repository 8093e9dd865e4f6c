// The one audit writer. Call it inside the same db.transaction as the change it records.
import type { Actor, App } from "../context.js";
import { insertAuditEvent, insertAuditEvents, type AuditRow } from "../db/audit.js";
import { newId } from "../ids.js";
import { enqueueFromAudit } from "./notifications/outbox.js";
import type { AuditResult } from "../vocabulary.js";
import { redact, redactString } from "./redact.js";

export interface AuditInput {
  actor: Actor;
  action: string;
  target?: { type: string; id: string | null } | undefined;
  result?: AuditResult;
  message?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  requestId?: string | undefined;
}

function auditRow(now: Date, input: AuditInput): AuditRow {
  return {
    id: newId("aud", now.getTime()),
    createdAt: now.toISOString(),
    actorType: input.actor.type,
    actorId: input.actor.id,
    action: input.action,
    targetType: input.target?.type ?? null,
    targetId: input.target?.id ?? null,
    result: input.result ?? "SUCCESS",
    message: input.message === undefined ? null : redactString(input.message).slice(0, 2000),
    metadata: input.metadata ? redact(input.metadata) : null,
    requestId: input.requestId ?? null,
  };
}

export async function writeAudit(app: Pick<App, "db" | "now" | "runtime">, input: AuditInput): Promise<string> {
  const row = auditRow(app.now(), input);
  await insertAuditEvent(app.db, row);
  // notifications are derived here, in the same transaction: the outbox commits with the change
  await enqueueFromAudit(app, row);
  app.runtime.counters.auditEventsWritten++;
  return row.id;
}

/** Several events, in order, in as few statements as the data layer allows (a batch of first contacts). */
export async function writeAudits(app: Pick<App, "db" | "now" | "runtime">, inputs: readonly AuditInput[]): Promise<void> {
  const now = app.now();
  const rows = inputs.map((input) => auditRow(now, input));
  await insertAuditEvents(app.db, rows);
  for (const row of rows) await enqueueFromAudit(app, row);
  app.runtime.counters.auditEventsWritten += rows.length;
}

/** Wire shape of an AuditEvent (reference schema). */
export function auditToWire(r: AuditRow) {
  return {
    id: r.id,
    actorType: r.actorType,
    actorId: r.actorId,
    action: r.action,
    targetType: r.targetType,
    targetId: r.targetId,
    result: r.result,
    message: r.message,
    metadata: r.metadata ?? {},
    createdAt: r.createdAt,
  };
}
