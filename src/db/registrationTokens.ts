// registration_tokens: enrolment tokens (hash only). ACTIVE past expires_at reads as EXPIRED before the sweep writes it.
import type { Db } from "./open.js";
import { Where, limitOffset, nullable, orderBy, type SortColumn, type SortKey } from "./query.js";
import type { TokenStatus } from "../vocabulary.js";

export type { TokenStatus } from "../vocabulary.js";

export interface RegistrationTokenRow {
  id: string; name: string; status: TokenStatus; maxUses: number; useCount: number; agentCode: string | null;
  expiresAt: string | null; usedAt: string | null; revokedAt: string | null; createdByUserId: string | null;
  createdAt: string; updatedAt: string;
}

const COLUMNS = `id, name, status, max_uses, use_count, agent_code, expires_at, used_at, revoked_at, created_by_user_id, created_at, updated_at`;
export const REGISTRATION_TOKEN_SORT: Record<string, SortColumn> = { createdAt: "created_at", expiresAt: nullable("expires_at") };

/** Effective status as SQL; one bound parameter: now (ISO). */
export const effectiveTokenStatusSql = `CASE WHEN status = 'ACTIVE' AND expires_at IS NOT NULL AND expires_at <= ? THEN 'EXPIRED' ELSE status END`;

const sql = {
  // by id
  get: `SELECT ${COLUMNS} FROM registration_tokens WHERE id = ?`,
  // registration lookup by the hash of the presented raw token
  byHash: `SELECT ${COLUMNS} FROM registration_tokens WHERE token_hash = ?`,
  // create
  insert: `INSERT INTO registration_tokens (${COLUMNS}, token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  // one use; the guard makes the last use go to exactly one caller, and the final use flips it to USED
  consume: `UPDATE registration_tokens SET use_count = use_count + 1, used_at = ?, updated_at = ?,
            status = CASE WHEN use_count + 1 >= max_uses THEN 'USED' ELSE status END
            WHERE id = ? AND status = 'ACTIVE' AND use_count < max_uses AND (expires_at IS NULL OR expires_at > ?)`,
  // operator revocation of a usable token
  revoke: `UPDATE registration_tokens SET status = 'REVOKED', revoked_at = ?, updated_at = ? WHERE id = ? AND status = 'ACTIVE'`,
  // sweep candidates
  expiredActive: `SELECT ${COLUMNS} FROM registration_tokens WHERE status = 'ACTIVE' AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
  // sweep write
  expire: `UPDATE registration_tokens SET status = 'EXPIRED', updated_at = ? WHERE id = ? AND status = 'ACTIVE' AND expires_at <= ?`,
  // delete a spent token (revoked, or expired even if the sweep has not written it yet)
  deleteSpent: `DELETE FROM registration_tokens WHERE id = ?
                AND (status IN ('EXPIRED', 'REVOKED') OR (status = 'ACTIVE' AND expires_at <= ?))`,
};

type Raw = {
  id: string; name: string; status: TokenStatus; max_uses: number; use_count: number; agent_code: string | null;
  expires_at: string | null; used_at: string | null; revoked_at: string | null; created_by_user_id: string | null;
  created_at: string; updated_at: string;
};

const toRow = (r: Raw): RegistrationTokenRow => ({
  id: r.id, name: r.name, status: r.status, maxUses: r.max_uses, useCount: r.use_count, agentCode: r.agent_code,
  expiresAt: r.expires_at, usedAt: r.used_at, revokedAt: r.revoked_at, createdByUserId: r.created_by_user_id,
  createdAt: r.created_at, updatedAt: r.updated_at,
});

export async function getRegistrationToken(db: Db, id: string): Promise<RegistrationTokenRow | undefined> {
  const r = await db.get<Raw>(sql.get, [id]);
  return r && toRow(r);
}

export async function getRegistrationTokenByHash(db: Db, hash: string): Promise<RegistrationTokenRow | undefined> {
  const r = await db.get<Raw>(sql.byHash, [hash]);
  return r && toRow(r);
}

export async function insertRegistrationToken(db: Db, t: RegistrationTokenRow, hash: string): Promise<void> {
  await db.run(sql.insert, [t.id, t.name, t.status, t.maxUses, t.useCount, t.agentCode, t.expiresAt, t.usedAt, t.revokedAt,
    t.createdByUserId, t.createdAt, t.updatedAt, hash]);
}

/** Consumes one use; false when the token is no longer usable (used up, revoked or expired meanwhile). */
export const consumeRegistrationToken = async (db: Db, id: string, nowIso: string): Promise<boolean> =>
  (await db.run(sql.consume, [nowIso, nowIso, id, nowIso])).changes === 1;

export const revokeRegistrationToken = async (db: Db, id: string, nowIso: string): Promise<boolean> =>
  (await db.run(sql.revoke, [nowIso, nowIso, id])).changes === 1;

export const listExpiredActiveTokens = async (db: Db, nowIso: string, limit: number): Promise<RegistrationTokenRow[]> =>
  (await db.all<Raw>(sql.expiredActive, [nowIso, limit])).map(toRow);

export const expireRegistrationToken = async (db: Db, id: string, nowIso: string): Promise<boolean> =>
  (await db.run(sql.expire, [nowIso, id, nowIso])).changes === 1;

export interface RegistrationTokenFilter {
  status?: string[] | undefined;
}

/** Lists tokens; the status filter applies to the effective status. */
export async function listRegistrationTokens(
  db: Db, f: RegistrationTokenFilter, nowIso: string, sort: SortKey[], page: number, pageSize: number,
): Promise<{ rows: RegistrationTokenRow[]; total: number }> {
  const w = new Where();
  if (f.status?.length) w.add(`(${effectiveTokenStatusSql}) IN (${f.status.map(() => "?").join(", ")})`, nowIso, ...f.status);
  const total = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM registration_tokens ${w.sql}`, w.params))!.n;
  const rows = await db.all<Raw>(`SELECT ${COLUMNS} FROM registration_tokens ${w.sql} ${orderBy(sort, REGISTRATION_TOKEN_SORT)} ${limitOffset(page, pageSize)}`, w.params);
  return { rows: rows.map(toRow), total };
}

/** Deletes a REVOKED or (effectively) EXPIRED token; false when it is not one (or is gone). */
export const deleteSpentRegistrationToken = async (db: Db, id: string, nowIso: string): Promise<boolean> =>
  (await db.run(sql.deleteSpent, [id, nowIso])).changes === 1;
