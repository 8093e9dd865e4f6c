// Command reads shared by the admin API and the console: list, detail (with the one-time
// generatedKey reveal), and log lines.
import type { App } from "../../context.js";
import { listCommandLogs } from "../../db/commandLogs.js";
import { getCommandResult } from "../../db/commandResults.js";
import { getCommand, listCommands, type CommandFilter } from "../../db/commands.js";
import type { SortKey } from "../../db/query.js";
import { AppError } from "../../errors.js";
import { commandApprovalWire, type ApprovalWire } from "../approvals/queries.js";
import { revealGeneratedKey, type KeyReader } from "./sealedSecrets.js";
import { commandDetailToWire, commandToWire, logToWire } from "./wire.js";

/** SUCCEEDED, FAILED, EXPIRED, CANCELLED: nothing changes any more (live views stop polling). */
export { isTerminal } from "../../db/commands.js";

export type CommandWire = ReturnType<typeof commandToWire>;
export type CommandDetailWire = ReturnType<typeof commandDetailToWire> & { approval?: ApprovalWire };

export async function listCommandsWire(app: App, filter: CommandFilter, sort: SortKey[], page: number, pageSize: number) {
  const { rows, total } = await listCommands(app.db, filter, sort, page, pageSize);
  return { data: rows.map(commandToWire), pagination: { page, pageSize, total } };
}

/**
 * Command detail. With `revealTo` (an admin GET, never a HEAD), a generatedKey still stored (sealed) is
 * shown in result.data.generatedKey and forgotten, if that reader ran the command or is an owner; everyone
 * else, and everyone after, sees "[REDACTED]".
 */
export async function getCommandDetail(app: App, id: string, opts: { revealTo?: KeyReader | undefined } = {}): Promise<CommandDetailWire> {
  const c = await getCommand(app.db, id);
  if (!c) throw new AppError("COMMAND_NOT_FOUND", "no such command");
  const result = await getCommandResult(app.db, id);
  let revealed: string | undefined;
  if (opts.revealTo && result) revealed = await revealGeneratedKey(app, id, opts.revealTo);
  const approval = await commandApprovalWire(app, id);
  // who asked and who approved (governance.md): only on commands that needed approval
  return { ...commandDetailToWire(c, result, revealed), ...(approval ? { approval } : {}) };
}

/** The reader a request may reveal a generatedKey to: a GET by an admin (a HEAD sends no body, so it must not consume the key). */
export const keyReaderOf = (method: string | undefined, admin: KeyReader | undefined): KeyReader | undefined =>
  method === "GET" && admin ? { userId: admin.userId, role: admin.role } : undefined;

export const MAX_LOG_LINES = 1000;

/** Log lines after `afterId` (0 = from the start), oldest first: a live view passes the last id it has. */
export async function getCommandLogs(app: App, id: string, afterId = 0, limit = MAX_LOG_LINES) {
  if (!await getCommand(app.db, id)) throw new AppError("COMMAND_NOT_FOUND", "no such command");
  return (await listCommandLogs(app.db, id, afterId, Math.min(MAX_LOG_LINES, Math.max(1, limit)))).map(logToWire);
}
