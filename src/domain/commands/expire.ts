// Command expiry: PENDING past createdAt + TTL and RUNNING past startedAt + timeout + grace become
// EXPIRED with a synthetic failed result. Run by the maintenance scheduler, batch-bounded.
import type { App } from "../../context.js";
import { expiredCommands, type CommandRow } from "../../db/commands.js";
import { writeAudit } from "../audit.js";
import { afterTerminal, COMMAND_TARGET, endWithSyntheticFailure } from "./lifecycle.js";

/** Expires one command and audits it. Call inside a transaction; returns false if it changed meanwhile. */
export async function expireOne(app: App, c: CommandRow, requestId?: string, why?: string): Promise<boolean> {
  const message = why ?? (c.status === "PENDING"
    ? "the agent did not pick the command up before it expired"
    : "the agent did not report a result before the command's deadline");
  if (!await endWithSyntheticFailure(app, c, "EXPIRED", { code: "COMMAND_EXPIRED", message })) return false;
  await writeAudit(app, {
    actor: { type: "SYSTEM", id: null }, action: "system.command.expired", target: { type: COMMAND_TARGET, id: c.id },
    result: "SUCCESS", message, requestId,
    metadata: { from: c.status, actionName: c.actionName, type: c.type, agentId: c.agentId, expiresAt: c.expiresAt },
  });
  return true;
}

/** Expires up to `limit` overdue commands; returns how many. Idempotent: safe to run at any time. */
export async function expireCommands(app: App, limit = 500): Promise<number> {
  const done = await app.db.transaction(async () => {
    const ids: string[] = [];
    for (const c of await expiredCommands(app.db, app.now().toISOString(), limit)) if (await expireOne(app, c)) ids.push(c.id);
    return ids;
  });
  for (const id of done) afterTerminal(app, id);
  return done.length;
}
