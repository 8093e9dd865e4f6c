// sessions: console/API logins, stored by hash so they survive restarts without storing the cookie.
import type { Role } from "../auth/roles.js";
import type { UserStatus } from "../vocabulary.js";
import type { Db } from "./open.js";

export interface SessionRow {
  id: string;
  tokenHash: string;
  userId: string;
  csrfVersion: number;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

export interface SessionWithUser extends SessionRow {
  username: string;
  role: Role;
  userStatus: UserStatus;
}

const sql = {
  // new session
  insert: `INSERT INTO sessions (id, token_hash, user_id, csrf_version, ip, user_agent, created_at, last_seen_at, expires_at)
           VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)`,
  // cookie lookup with its user
  byHash: `SELECT s.id, s.token_hash, s.user_id, s.csrf_version, s.ip, s.user_agent, s.created_at, s.last_seen_at, s.expires_at,
                  u.username, u.role, u.status AS user_status
           FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`,
  // rotate the CSRF token
  bumpCsrf: `UPDATE sessions SET csrf_version = csrf_version + 1 WHERE id = ?`,
  // activity (written at most once a minute per session by the caller)
  touch: `UPDATE sessions SET last_seen_at = ? WHERE id = ?`,
  // logout
  delete: `DELETE FROM sessions WHERE id = ?`,
  // a disabled user or a password reset ends every session
  deleteForUser: `DELETE FROM sessions WHERE user_id = ?`,
  // maintenance
  deleteExpired: `DELETE FROM sessions WHERE expires_at < ?`,
};

type Raw = {
  id: string; token_hash: string; user_id: string; csrf_version: number; ip: string | null; user_agent: string | null;
  created_at: string; last_seen_at: string; expires_at: string; username: string; role: Role; user_status: UserStatus;
};

export async function insertSession(db: Db, s: Omit<SessionRow, "csrfVersion">): Promise<void> {
  await db.run(sql.insert, [s.id, s.tokenHash, s.userId, s.ip, s.userAgent, s.createdAt, s.lastSeenAt, s.expiresAt]);
}

export async function getSessionByHash(db: Db, hash: string): Promise<SessionWithUser | undefined> {
  const r = await db.get<Raw>(sql.byHash, [hash]);
  return r && {
    id: r.id, tokenHash: r.token_hash, userId: r.user_id, csrfVersion: r.csrf_version, ip: r.ip, userAgent: r.user_agent,
    createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at, username: r.username, role: r.role,
    userStatus: r.user_status,
  };
}

export const bumpSessionCsrf = async (db: Db, id: string): Promise<void> => { await db.run(sql.bumpCsrf, [id]); };
export const touchSession = async (db: Db, id: string, nowIso: string): Promise<void> => { await db.run(sql.touch, [nowIso, id]); };
export const deleteSession = async (db: Db, id: string): Promise<void> => { await db.run(sql.delete, [id]); };
export const deleteSessionsForUser = async (db: Db, userId: string): Promise<number> => (await db.run(sql.deleteForUser, [userId])).changes;
export const deleteExpiredSessions = async (db: Db, nowIso: string): Promise<number> => (await db.run(sql.deleteExpired, [nowIso])).changes;
