// `capstan db copy`: moves an installation's rows from its SQLite file into a PostgreSQL database.
// Idempotent: rows go in with ON CONFLICT (primary key) DO NOTHING, so a re-run (or a run after an
// interrupted one) inserts only what is missing; a different row that collides on another unique
// column (say a username) is an error, never silently dropped. Counts are verified at the end.
import type { Db } from "./engine.js";
import { countRows, quoteName, readPage, type CopySource, type SourceTable } from "./copySource.js";

/** The target's schema does not match the source's (a missing table or column). */
export class CopySchemaError extends Error {}

export interface TableCopy {
  table: string;
  /** Rows in the SQLite file (in the snapshot the copy read). */
  source: number;
  /** Rows inserted by this run. */
  copied: number;
  /** Rows in PostgreSQL after the copy. */
  target: number;
  /** target >= source (a target may hold more: rows written there before or since). */
  ok: boolean;
}

export interface CopyOptions {
  /** Rows per INSERT (default 1,000; capped so one statement stays under PostgreSQL's 65,535 parameters). */
  batchSize?: number;
  /** Called after each table, for progress output. */
  onTable?: (t: TableCopy) => void;
}

const MAX_PARAMS = 65_535;

const sql = {
  // the PostgreSQL table's columns, and whether each is an identity column
  columns: `SELECT column_name AS name, is_identity AS identity FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`,
  // next identity value = MAX(col) + 1 (1 on an empty table); never left behind the copied ids
  resetIdentity: (table: string, col: string) =>
    `SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX(${col}), 1), MAX(${col}) IS NOT NULL) FROM ${table}`,
  count: (table: string) => `SELECT COUNT(*) AS n FROM ${table}`,
};

/** The column list to copy: the SQLite columns, each of which must exist on PostgreSQL (and vice versa). */
async function targetColumns(pg: Db, table: SourceTable): Promise<{ identity: string[] }> {
  const cols = await pg.all<{ name: string; identity: string }>(sql.columns, [table.name]);
  if (!cols.length) throw new CopySchemaError(`table ${table.name} is missing in PostgreSQL`);
  const names = new Set(cols.map((c) => c.name));
  const onlySqlite = table.columns.filter((c) => !names.has(c));
  const onlyPg = [...names].filter((c) => !table.columns.includes(c));
  if (onlySqlite.length || onlyPg.length) {
    throw new CopySchemaError(
      `table ${table.name} differs between the engines` +
        (onlySqlite.length ? `; only in SQLite: ${onlySqlite.join(", ")}` : "") +
        (onlyPg.length ? `; only in PostgreSQL: ${onlyPg.join(", ")}` : ""),
    );
  }
  return { identity: cols.filter((c) => c.identity === "YES").map((c) => c.name) };
}

const insertSql = (table: SourceTable, rows: number): string => {
  const tuple = `(${table.columns.map(() => "?").join(", ")})`;
  return `INSERT INTO ${quoteName(table.name)} (${table.columns.map(quoteName).join(", ")}) VALUES ` +
    `${Array.from({ length: rows }, () => tuple).join(", ")} ON CONFLICT (${table.primaryKey.map(quoteName).join(", ")}) DO NOTHING`;
};

/** Copies one table in batches inside one PostgreSQL transaction; returns the rows inserted. */
async function copyTable(source: CopySource, pg: Db, table: SourceTable, batchSize: number): Promise<number> {
  const { identity } = await targetColumns(pg, table);
  const perBatch = Math.max(1, Math.min(batchSize, Math.floor(MAX_PARAMS / table.columns.length)));
  return pg.transaction(async () => {
    let copied = 0;
    let after = 0;
    for (;;) {
      const page = readPage(source.db, table, after, perBatch);
      if (!page.length) break;
      // values go as they are: text (ISO timestamps, JSON), integers, reals and NULL mean the same on both
      const params = page.flatMap((r) => r.values) as (string | number | null | Buffer)[];
      copied += (await pg.run(insertSql(table, page.length), params)).changes;
      after = page[page.length - 1]!.rowid;
      if (page.length < perBatch) break;
    }
    for (const col of identity) await pg.get(sql.resetIdentity(quoteName(table.name), quoteName(col)), [table.name, col]);
    return copied;
  });
}

/**
 * Copies every table of `source` (parents first) into `pg`, which must be migrated to the same
 * schema version. Reads one SQLite snapshot (a read transaction), so the counts it verifies are of
 * one consistent state even while a server still writes to the file.
 */
export async function copyToPostgres(source: CopySource, pg: Db, opts: CopyOptions = {}): Promise<TableCopy[]> {
  if (pg.kind !== "postgres") throw new Error("the copy target must be a PostgreSQL database");
  const batchSize = opts.batchSize ?? 1000;
  const results: TableCopy[] = [];
  source.db.exec("BEGIN"); // deferred: the first read fixes the snapshot every later read sees
  try {
    for (const table of source.tables) {
      const copied = await copyTable(source, pg, table, batchSize);
      const count = countRows(source.db, table.name);
      const target = (await pg.get<{ n: number }>(sql.count(quoteName(table.name))))!.n;
      const r: TableCopy = { table: table.name, source: count, copied, target, ok: target >= count };
      results.push(r);
      opts.onTable?.(r);
    }
  } finally {
    source.db.exec("COMMIT");
  }
  return results;
}
