// users: console and API accounts.
import type { Role } from "../auth/roles.js";
import type { UserStatus } from "../vocabulary.js";
import type { Db } from "./open.js";
import { statements } from "./open.js";
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

const sql = statements({
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
  // successful login
  touchLogin: `UPDATE users SET last_login_at = ? WHERE id = ?`,
  // last-owner protection
  countActiveOwners: `SELECT COUNT(*) AS n FROM users WHERE role = 'owner' AND status = 'ACTIVE'`,
  // bootstrap: is this a fresh database?
  countAll: `SELECT COUNT(*) AS n FROM users`,
});

type RawRow = {
  id: string; username: string; display_name: string | null; role: Role; status: UserRow["status"];
  password_hash: string; last_login_at: string | null; created_at: string; updated_at: string;
};

const toRow = (r: RawRow): UserRow => ({
  id: r.id, username: r.username, displayName: r.display_name, role: r.role, status: r.status,
  passwordHash: r.password_hash, lastLoginAt: r.last_login_at, createdAt: r.created_at, updatedAt: r.updated_at,
});

export const getUser = (db: Db, id: string): UserRow | undefined => {
  const r = sql(db).get.get(id) as RawRow | undefined;
  return r && toRow(r);
};

export const getUserByUsername = (db: Db, username: string): UserRow | undefined => {
  const r = sql(db).byUsername.get(username) as RawRow | undefined;
  return r && toRow(r);
};

export function insertUser(db: Db, u: UserRow): void {
  sql(db).insert.run(u.id, u.username, u.displayName, u.role, u.status, u.passwordHash, u.lastLoginAt, u.createdAt, u.updatedAt);
}

export function updateUser(db: Db, id: string, fields: Pick<UserRow, "displayName" | "role" | "status">, nowIso: string): void {
  sql(db).update.run(fields.displayName, fields.role, fields.status, nowIso, id);
}

export const setUserPassword = (db: Db, id: string, hash: string, nowIso: string): void => {
  sql(db).setPassword.run(hash, nowIso, id);
};

export const touchUserLogin = (db: Db, id: string, nowIso: string): void => {
  sql(db).touchLogin.run(nowIso, id);
};

export const countActiveOwners = (db: Db): number => (sql(db).countActiveOwners.get() as { n: number }).n;
export const countUsers = (db: Db): number => (sql(db).countAll.get() as { n: number }).n;

export interface UserFilter {
  role?: string[] | undefined;
  status?: string[] | undefined;
  q?: string | undefined;
}

export function listUsers(db: Db, f: UserFilter, sort: SortKey[], page: number, pageSize: number): { rows: UserRow[]; total: number } {
  const w = new Where().anyOf("role", f.role).anyOf("status", f.status).search(["username", "display_name"], f.q);
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM users ${w.sql}`).get(...w.params) as { n: number }).n;
  const rows = db
    .prepare(`SELECT ${COLUMNS} FROM users ${w.sql} ${orderBy(sort, USER_SORT)} ${limitOffset(page, pageSize)}`)
    .all(...w.params) as RawRow[];
  return { rows: rows.map(toRow), total };
}
