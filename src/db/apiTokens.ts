// api_tokens: personal tokens (capstan_pat_...) that act with their owner's role.
import type { Role } from "../auth/roles.js";
import type { ApiTokenScope, UserStatus } from "../vocabulary.js";
import { parseJson } from "./query.js";
import type { Db } from "./open.js";

export interface ApiTokenRow {
  id: string;
  userId: string;
  name: string;
  tokenHash: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** What the token may call (admin: the admin API; messages: /api/messages only). */
  scopes: ApiTokenScope[];
}

export interface ApiTokenWithUser extends ApiTokenRow {
  username: string;
  role: Role;
  userStatus: UserStatus;
}

const COLUMNS = `t.id, t.user_id, t.name, t.token_hash, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, t.scopes_json`;

const sql = {
  // create
  insert: `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at, scopes_json) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  // bearer lookup with the owner
  byHash: `SELECT ${COLUMNS}, u.username, u.role, u.status AS user_status FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`,
  // detail
  get: `SELECT ${COLUMNS}, u.username, u.role, u.status AS user_status FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?`,
  // a user's tokens, newest first
  listForUser: `SELECT ${COLUMNS}, u.username, u.role, u.status AS user_status FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.user_id = ? ORDER BY t.created_at DESC, t.id DESC`,
  // owner view: everyone's tokens
  listAll: `SELECT ${COLUMNS}, u.username, u.role, u.status AS user_status FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created_at DESC, t.id DESC`,
  // revoke
  revoke: `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
  // every live token of a user (password reset, disable); returns what it revoked
  revokeForUser: `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL RETURNING id, name`,
  // usage (written at most once a minute per token by the caller)
  touch: `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`,
};

type Raw = {
  id: string; user_id: string; name: string; token_hash: string; created_at: string; expires_at: string | null;
  last_used_at: string | null; revoked_at: string | null; scopes_json: string; username: string; role: Role; user_status: UserStatus;
};

const toRow = (r: Raw): ApiTokenWithUser => ({
  id: r.id, userId: r.user_id, name: r.name, tokenHash: r.token_hash, createdAt: r.created_at, expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at, revokedAt: r.revoked_at, scopes: parseJson<ApiTokenScope[]>(r.scopes_json, ["admin"]), username: r.username, role: r.role, userStatus: r.user_status,
});

export async function insertApiToken(db: Db, t: Omit<ApiTokenRow, "lastUsedAt" | "revokedAt" | "scopes"> & { scopes?: ApiTokenScope[] }): Promise<void> {
  await db.run(sql.insert, [t.id, t.userId, t.name, t.tokenHash, t.createdAt, t.expiresAt, JSON.stringify(t.scopes ?? ["admin"])]);
}

export const getApiTokenByHash = async (db: Db, hash: string): Promise<ApiTokenWithUser | undefined> => {
  const r = await db.get<Raw>(sql.byHash, [hash]);
  return r && toRow(r);
};

export const getApiToken = async (db: Db, id: string): Promise<ApiTokenWithUser | undefined> => {
  const r = await db.get<Raw>(sql.get, [id]);
  return r && toRow(r);
};

export const listApiTokens = async (db: Db, userId: string | null): Promise<ApiTokenWithUser[]> =>
  ((userId ? await db.all(sql.listForUser, [userId]) : await db.all(sql.listAll)) as Raw[]).map(toRow);

export const revokeApiToken = async (db: Db, id: string, nowIso: string): Promise<boolean> => (await db.run(sql.revoke, [nowIso, id])).changes > 0;
export const revokeApiTokensForUser = async (db: Db, userId: string, nowIso: string): Promise<{ id: string; name: string }[]> =>
  await db.all<{ id: string; name: string }>(sql.revokeForUser, [nowIso, userId]);
export const touchApiToken = async (db: Db, id: string, nowIso: string): Promise<void> => { await db.run(sql.touch, [nowIso, id]); };
