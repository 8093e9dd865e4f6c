// Reading the audit trail: list, detail and streamed export (CSV / JSON / NDJSON), shared by the
// admin API and the console.
import type { App } from "../context.js";
import { auditBatch, getAuditEvent, listAuditEvents, type AuditFilter, type AuditRow } from "../db/audit.js";
import type { SortKey } from "../db/query.js";
import { AppError } from "../errors.js";
import { auditToWire } from "./audit.js";

const EXPORT_BATCH = 1000;

/** Normalises time bounds to the stored form and refuses from > to. */
export function checkAuditFilter(f: AuditFilter): AuditFilter {
  const from = f.from ? new Date(f.from).toISOString() : undefined;
  const to = f.to ? new Date(f.to).toISOString() : undefined;
  if (from && to && from > to) {
    throw new AppError("VALIDATION_FAILED", "from must not be after to", { issues: [{ path: "from", message: "after to" }] });
  }
  return { ...f, from, to };
}

export async function listAudit(app: App, f: AuditFilter, sort: SortKey[], page: number, pageSize: number) {
  const { rows, total, totalCapped } = await listAuditEvents(app.db, checkAuditFilter(f), sort, page, pageSize);
  return { rows: rows.map(auditToWire), total, totalCapped };
}

export async function getAudit(app: App, id: string) {
  const row = await getAuditEvent(app.db, id);
  if (!row) throw new AppError("AUDIT_EVENT_NOT_FOUND", "no such audit event");
  return auditToWire(row);
}

/** Every matching row, batch by batch, yielding to the event loop between batches. No row cap. */
async function* rowsOf(app: App, f: AuditFilter, desc: boolean): AsyncGenerator<AuditRow> {
  let after: { createdAt: string; id: string } | null = null;
  for (;;) {
    const batch = await auditBatch(app.db, f, desc, after, EXPORT_BATCH);
    for (const r of batch) yield r;
    if (batch.length < EXPORT_BATCH) return;
    const last = batch[batch.length - 1]!;
    after = { createdAt: last.createdAt, id: last.id };
    await new Promise((r) => setImmediate(r));
  }
}

const CSV_COLUMNS = ["id", "createdAt", "actorType", "actorId", "action", "targetType", "targetId", "result", "message", "metadata"] as const;

/** A CSV cell: quoted when needed, and neutralised when a spreadsheet would read it as a formula. */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function* exportAudit(app: App, filter: AuditFilter, sort: SortKey[], format: "csv" | "json" | "ndjson"): AsyncGenerator<string> {
  const f = checkAuditFilter(filter);
  const desc = sort[0]?.desc ?? true;
  if (format === "csv") yield CSV_COLUMNS.join(",") + "\r\n";
  if (format === "json") yield "[";
  let first = true;
  for await (const row of rowsOf(app, f, desc)) {
    const wire = auditToWire(row);
    if (format === "csv") yield CSV_COLUMNS.map((c) => csvCell(wire[c])).join(",") + "\r\n";
    else if (format === "ndjson") yield JSON.stringify(wire) + "\n";
    else {
      yield (first ? "" : ",") + "\n" + JSON.stringify(wire);
      first = false;
    }
  }
  if (format === "json") yield "\n]\n";
}
