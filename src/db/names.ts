// Display names by id for list pages (who acted, which agent, which service): one query per table
// per page with the ids passed as a JSON array, never one query per row.
import type { Db } from "./open.js";
import { statements } from "./open.js";

const sql = statements({
  // usernames of the given user ids
  users: `SELECT id, username AS name FROM users WHERE id IN (SELECT value FROM json_each(?))`,
  // codes of the given agent ids
  agents: `SELECT id, code AS name FROM agents WHERE id IN (SELECT value FROM json_each(?))`,
  // codes and names of the given service ids
  services: `SELECT id, code, name FROM capsule_services WHERE id IN (SELECT value FROM json_each(?))`,
});

type Pair = { id: string; name: string };

export function usernamesOf(db: Db, ids: string[]): Map<string, string> {
  if (!ids.length) return new Map();
  return new Map((sql(db).users.all(JSON.stringify(ids)) as Pair[]).map((r) => [r.id, r.name]));
}

export function agentCodesOf(db: Db, ids: string[]): Map<string, string> {
  if (!ids.length) return new Map();
  return new Map((sql(db).agents.all(JSON.stringify(ids)) as Pair[]).map((r) => [r.id, r.name]));
}

export function serviceNamesOf(db: Db, ids: string[]): Map<string, { id: string; code: string; name: string }> {
  if (!ids.length) return new Map();
  const rows = sql(db).services.all(JSON.stringify(ids)) as { id: string; code: string; name: string }[];
  return new Map(rows.map((r) => [r.id, r]));
}
