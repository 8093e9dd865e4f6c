// Reads of received events for the admin API and the console: list, detail with the commands caused.
import { v04EventFields } from "./v04.js";
import type { App } from "../../context.js";
import { getBusEvent, listBusEvents, type BusEventFilter, type BusEventRow } from "../../db/busEvents.js";
import { getCommand } from "../../db/commands.js";
import type { SortKey } from "../../db/query.js";
import { AppError } from "../../errors.js";
import type { Pagination } from "../../http/reply.js";
import { commandToWire } from "../commands/wire.js";

export function busEventToWire(e: BusEventRow) {
  return {
    id: e.id, clientEventId: e.clientEventId, eventType: e.eventType, sourceServiceCode: e.sourceServiceCode,
    sourceServiceId: e.sourceServiceId, agentId: e.agentId, timestamp: e.occurredAt, data: e.data, metadata: e.metadata ?? {},
    outcome: e.outcome, errorCode: e.errorCode, matchedRoutes: e.matches, commandIds: e.commandIds, createdAt: e.createdAt,
    ...v04EventFields(e), // the Opstage v0.4 console's names
  };
}
export type BusEventWire = ReturnType<typeof busEventToWire>;

export async function listBusEventsPage(app: App, f: BusEventFilter, sort: SortKey[], page: number, pageSize: number): Promise<{ rows: BusEventWire[]; pagination: Pagination }> {
  const { rows, total } = await listBusEvents(app.db, f, sort, page, pageSize);
  return { rows: rows.map(busEventToWire), pagination: { page, pageSize, total } };
}

export async function requireBusEvent(app: App, id: string): Promise<BusEventRow> {
  const e = await getBusEvent(app.db, id);
  if (!e) throw new AppError("NOT_FOUND", "no such bus event");
  return e;
}

/** The commands an event caused, as they are now (one deleted since is left out). */
export async function causedCommands(app: App, commandIds: readonly string[]) {
  const out: ReturnType<typeof commandToWire>[] = [];
  for (const cid of commandIds) {
    const c = await getCommand(app.db, cid);
    if (c) out.push(commandToWire(c));
  }
  return out;
}

export async function busEventDetail(app: App, id: string) {
  const e = await requireBusEvent(app, id);
  return { ...busEventToWire(e), commands: await causedCommands(app, e.commandIds) };
}
