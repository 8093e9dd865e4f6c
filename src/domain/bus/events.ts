// Reads of received events for the admin API and the console: list, detail with the commands caused.
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
  };
}
export type BusEventWire = ReturnType<typeof busEventToWire>;

export function listBusEventsPage(app: App, f: BusEventFilter, sort: SortKey[], page: number, pageSize: number): { rows: BusEventWire[]; pagination: Pagination } {
  const { rows, total } = listBusEvents(app.db, f, sort, page, pageSize);
  return { rows: rows.map(busEventToWire), pagination: { page, pageSize, total } };
}

export function requireBusEvent(app: App, id: string): BusEventRow {
  const e = getBusEvent(app.db, id);
  if (!e) throw new AppError("NOT_FOUND", "no such bus event");
  return e;
}

/** The commands an event caused, as they are now (one deleted since is left out). */
export const causedCommands = (app: App, commandIds: readonly string[]) =>
  commandIds.flatMap((cid) => {
    const c = getCommand(app.db, cid);
    return c ? [commandToWire(c)] : [];
  });

export function busEventDetail(app: App, id: string) {
  const e = requireBusEvent(app, id);
  return { ...busEventToWire(e), commands: causedCommands(app, e.commandIds) };
}
