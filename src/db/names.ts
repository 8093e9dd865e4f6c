// Display names by id for list pages (who acted, which agent, which service): one query per table
// per page with the ids passed as a JSON array, never one query per row.
import type { Db } from "./open.js";

const sql = {
  // usernames of the given user ids
  users: `SELECT id, username AS name FROM users WHERE id IN (SELECT value FROM json_each(?))`,
  // codes of the given agent ids
  agents: `SELECT id, code AS name FROM agents WHERE id IN (SELECT value FROM json_each(?))`,
  // codes and names of the given service ids
  services: `SELECT id, code, name FROM capsule_services WHERE id IN (SELECT value FROM json_each(?))`,
};

type Pair = { id: string; name: string };

export async function usernamesOf(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  return new Map((await db.all<Pair>(sql.users, [JSON.stringify(ids)])).map((r) => [r.id, r.name]));
}

export async function agentCodesOf(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  return new Map((await db.all<Pair>(sql.agents, [JSON.stringify(ids)])).map((r) => [r.id, r.name]));
}

export async function serviceNamesOf(db: Db, ids: string[]): Promise<Map<string, { id: string; code: string; name: string }>> {
  if (!ids.length) return new Map();
  const rows = await db.all<{ id: string; code: string; name: string }>(sql.services, [JSON.stringify(ids)]);
  return new Map(rows.map((r) => [r.id, r]));
}
