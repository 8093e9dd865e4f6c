// Display names by id for list pages (who acted, which agent, which service): one query per table
// per page with the ids bound as one `IN (?, ?, …)` list (portable: SQLite's json_each has no
// PostgreSQL twin under that name), never one query per row.
import type { Db } from "./open.js";

/** The distinct ids and their placeholders (a page holds at most a few hundred: far below either engine's limit). */
const idList = (ids: string[]): { in: string; params: string[] } => {
  const params = [...new Set(ids)];
  return { in: params.map(() => "?").join(", "), params };
};

const sql = {
  // usernames of the given user ids
  users: (ids: string) => `SELECT id, username AS name FROM users WHERE id IN (${ids})`,
  // codes of the given agent ids
  agents: (ids: string) => `SELECT id, code AS name FROM agents WHERE id IN (${ids})`,
  // codes and names of the given service ids
  services: (ids: string) => `SELECT id, code, name FROM capsule_services WHERE id IN (${ids})`,
};

type Pair = { id: string; name: string };

export async function usernamesOf(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const l = idList(ids);
  return new Map((await db.all<Pair>(sql.users(l.in), l.params)).map((r) => [r.id, r.name]));
}

export async function agentCodesOf(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const l = idList(ids);
  return new Map((await db.all<Pair>(sql.agents(l.in), l.params)).map((r) => [r.id, r.name]));
}

export async function serviceNamesOf(db: Db, ids: string[]): Promise<Map<string, { id: string; code: string; name: string }>> {
  if (!ids.length) return new Map();
  const l = idList(ids);
  const rows = await db.all<{ id: string; code: string; name: string }>(sql.services(l.in), l.params);
  return new Map(rows.map((r) => [r.id, r]));
}
