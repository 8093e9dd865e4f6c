// settings: small JSON values by key (the maintenance scheduler's last run). The only module that
// touches the table.
import type { Db } from "./open.js";

const sql = {
  // one setting by key (values are JSON text)
  get: `SELECT value, updated_at FROM settings WHERE key = ?`,
  // upsert a setting
  put: `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
};

export async function getSetting<T>(db: Db, key: string): Promise<{ value: T; updatedAt: string } | undefined> {
  const r = await db.get<{ value: string; updated_at: string }>(sql.get, [key]);
  if (!r) return undefined;
  try {
    return { value: JSON.parse(r.value) as T, updatedAt: r.updated_at };
  } catch {
    return undefined; // a hand-edited, unreadable value counts as absent rather than breaking diagnostics
  }
}

export async function putSetting(db: Db, key: string, value: unknown, nowIso: string): Promise<void> {
  await db.run(sql.put, [key, JSON.stringify(value), nowIso]);
}
