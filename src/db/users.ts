// users: console and API accounts.
import type { Role } from "../auth/roles.js";
import type { UserStatus } from "../vocabulary.js";
import type { Db } from "./open.js";
import { Where, limitOffset, orderBy, type SortKey } from "./query.js";

export interface UserRow {
  id: string;
  username: string;
  displayName: string | null;
  role: Role;
  status: UserStatus;
  passwordHash: string;
  lastLoginAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const COLUMNS = `id, username, display_name, role, status, password_hash, last_login_at, created_at, updated_at`;
export const USER_SORT: Record<string, string> = { createdAt: "created_at", username: "username" };

const sql = {
  // when the installation began (the first account): the one workspace's createdAt on the v0.4 wire
  firstCreated: `SELECT MIN(created_at) AS at FROM users`,
  // by id
  get: `SELECT ${COLUMNS} FROM users WHERE id = ?`,
  // login lookup; usernames are unique as typed
  byUsername: `SELECT ${COLUMNS} FROM users WHERE username = ?`,
  // create
  insert: `INSERT INTO users (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // profile/role/status change
  update: `UPDATE users SET display_name = ?, role = ?, status = ?, updated_at = ? WHERE id = ?`,
  // password change
  setPassword: `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`,
  // login re-hash of an imported (bcrypt) hash: only if no password change came in between
  upgradeHash: `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`,
  // successful login
  touchLogin: `UPDATE users SET last_login_at = ? WHERE id = ?`,
  // last-owner protection
  countActiveOwners: `SELECT COUNT(*) AS n FROM users WHERE role = 'owner' AND status = 'ACTIVE'`,
  // bootstrap: is this a fresh database?
  countAll: `SELECT COUNT(*) AS n FROM users`,
};

type RawRow = {
  id: string; username: string; display_name: string | null; role: Role; status: UserRow["status"];
  password_hash: string; last_login_at: string | null; created_at: string; updated_at: string;
};

const toRow = (r: RawRow): UserRow => ({
  id: r.id, username: r.username, displayName: r.display_name, role: r.role, status: r.status,
  passwordHash: r.password_hash, lastLoginAt: r.last_login_at, createdAt: r.created_at, updatedAt: r.updated_at,
});

export const getUser = async (db: Db, id: string): Promise<UserRow | undefined> => {
  const r = await db.get<RawRow>(sql.get, [id]);
  return r && toRow(r);
};

export const getUserByUsername = async (db: Db, username: string): Promise<UserRow | undefined> => {
  const r = await db.get<RawRow>(sql.byUsername, [username]);
  return r && toRow(r);
};

export async function insertUser(db: Db, u: UserRow): Promise<void> {
  await db.run(sql.insert, [u.id, u.username, u.displayName, u.role, u.status, u.passwordHash, u.lastLoginAt, u.createdAt, u.updatedAt]);
}

export async function updateUser(db: Db, id: string, fields: Pick<UserRow, "displayName" | "role" | "status">, nowIso: string): Promise<void> {
  await db.run(sql.update, [fields.displayName, fields.role, fields.status, nowIso, id]);
}

export const setUserPassword = async (db: Db, id: string, hash: string, nowIso: string): Promise<void> => {
  await db.run(sql.setPassword, [hash, nowIso, id]);
};

/** Replaces `oldHash` by `newHash` (same password, stronger hash); false when the hash changed meanwhile. */
export const upgradePasswordHash = async (db: Db, id: string, oldHash: string, newHash: string): Promise<boolean> =>
  (await db.run(sql.upgradeHash, [newHash, id, oldHash])).changes === 1;

export const touchUserLogin = async (db: Db, id: string, nowIso: string): Promise<void> => {
  await db.run(sql.touchLogin, [nowIso, id]);
};

export const countActiveOwners = async (db: Db): Promise<number> => (await db.get<{ n: number }>(sql.countActiveOwners))!.n;
export const firstUserCreatedAt = async (db: Db): Promise<string | null> => (await db.get<{ at: string | null }>(sql.firstCreated))?.at ?? null;
export const countUsers = async (db: Db): Promise<number> => (await db.get<{ n: number }>(sql.countAll))!.n;

export interface UserFilter {
  role?: string[] | undefined;
  status?: string[] | undefined;
  q?: string | undefined;
}

export async function listUsers(db: Db, f: UserFilter, sort: SortKey[], page: number, pageSize: number): Promise<{ rows: UserRow[]; total: number }> {
  const w = new Where().anyOf("role", f.role).anyOf("status", f.status).search(["username", "display_name"], f.q);
  const total = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM users ${w.sql}`, w.params))!.n;
  const rows = await db.all<RawRow>(`SELECT ${COLUMNS} FROM users ${w.sql} ${orderBy(sort, USER_SORT)} ${limitOffset(page, pageSize)}`, w.params);
  return { rows: rows.map(toRow), total };
}
