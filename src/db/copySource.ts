// The SQLite side of `capstan db copy`: opens an existing Capstan database read-only, refuses
// anything else, and describes what to copy — its tables in foreign-key order (parents first),
// their columns and primary keys — read from the file's own schema, so a table added by a later
// migration is copied without touching this file.
import { readFileSync } from "node:fs";
import Database from "better-sqlite3";
import { rootPath } from "../paths.js";
import { codeSchemaVersion, migrationFiles } from "./sqlite.js";

/** The source cannot be copied (not a Capstan database, another schema version, unreadable). */
export class CopySourceError extends Error {}

export interface SourceTable {
  name: string;
  columns: string[];
  primaryKey: string[];
}

export interface CopySource {
  db: Database.Database;
  schemaVersion: number;
  /** Parents before children. */
  tables: SourceTable[];
}

// Table and column names are spliced into SQL (they cannot be parameters): only plain names pass.
const PLAIN_NAME = /^[a-z_][a-z0-9_]*$/;
export const quoteName = (name: string): string => {
  if (!PLAIN_NAME.test(name)) throw new CopySourceError(`unexpected name ${JSON.stringify(name)} in the schema`);
  return `"${name}"`;
};

/** SQLite-only tables the triggers of the search keep (migration 017): not part of what is copied. */
const DERIVED_TABLES = new Set(["audit_search_late"]);

const sql = {
  // user tables (sqlite_* are SQLite's own); virtual tables and their shadow tables (the FTS5 audit
  // search index, migration 010) and the late-event list of the search (017) are derived data, not
  // copied: PostgreSQL has its own index, and no rowid
  tables: `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
    AND name NOT IN (${[...DERIVED_TABLES].map((t) => `'${t}'`).join(", ")}) ORDER BY name`,
  // columns in declaration order, pk = position in the primary key (0 = not part of it)
  columns: (t: string) => `SELECT name, pk FROM pragma_table_info('${t}') ORDER BY cid`,
  // parent tables of the foreign keys of a table
  parents: (t: string) => `SELECT DISTINCT "table" AS parent FROM pragma_foreign_key_list('${t}')`,
};

/** The tables schema.sql and the migrations create (and do not drop): what a Capstan database holds. */
export function schemaTables(): string[] {
  const texts = [readFileSync(rootPath("schema.sql"), "utf8"), ...migrationFiles().map((m) => readFileSync(rootPath("migrations", m.file), "utf8"))];
  const tables = new Set<string>();
  for (const text of texts.map((s) => s.replace(/--.*$/gm, ""))) {
    // a rebuild (006: CREATE x_new, DROP x, ALTER TABLE x_new RENAME TO x) ends with the old name
    for (const m of text.matchAll(/\b(CREATE|DROP|ALTER)\s+TABLE\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?"?(\w+)"?(?:\s+RENAME\s+TO\s+"?(\w+)"?)?/gi)) {
      const verb = m[1]!.toUpperCase();
      if (verb === "CREATE") tables.add(m[2]!);
      else if (verb === "DROP") tables.delete(m[2]!);
      else if (m[3]) {
        tables.delete(m[2]!);
        tables.add(m[3]);
      }
    }
  }
  return [...tables].filter((t) => !DERIVED_TABLES.has(t)).sort();
}

/**
 * Kahn's algorithm over the foreign keys, ties broken by name so the order is stable. A table's
 * reference to itself (commands.retry_of) is left out: rows are read in rowid (insertion) order, so
 * the original command comes before its retry, and within one INSERT the check runs at its end.
 */
export function dependencyOrder(parents: ReadonlyMap<string, readonly string[]>): string[] {
  const pending = new Map([...parents].map(([t, ps]) => [t, new Set(ps.filter((p) => p !== t))]));
  const order: string[] = [];
  while (pending.size) {
    const ready = [...pending].filter(([, ps]) => [...ps].every((p) => !pending.has(p))).map(([t]) => t).sort();
    if (!ready.length) throw new CopySourceError(`foreign keys form a cycle among ${[...pending.keys()].join(", ")}`);
    for (const t of ready) {
      order.push(t);
      pending.delete(t);
    }
  }
  return order;
}

/** Opens `path` read-only and checks it is a Capstan database of this code's schema version. */
export function openCopySource(path: string): CopySource {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new CopySourceError(`cannot open ${path}: ${(err as Error).message}`);
  }
  try {
    return { db, ...describe(db, path) };
  } catch (err) {
    db.close();
    if (err instanceof CopySourceError) throw err;
    // SQLITE_NOTADB and friends: the file is not SQLite at all
    throw new CopySourceError(`${path} is not a Capstan database: ${(err as Error).message}`);
  }
}

function describe(db: Database.Database, path: string): Omit<CopySource, "db"> {
  db.pragma("busy_timeout = 5000"); // a running server may be checkpointing
  const schemaVersion = db.pragma("user_version", { simple: true }) as number;
  const names = db.prepare(sql.tables).pluck().all() as string[];
  const missing = schemaTables().filter((t) => !names.includes(t));
  if (schemaVersion === 0 || missing.length === schemaTables().length) {
    throw new CopySourceError(`${path} is not a Capstan database (no Capstan schema in it)`);
  }
  const code = codeSchemaVersion();
  if (schemaVersion !== code) {
    throw new CopySourceError(
      `${path} has schema version ${schemaVersion}, this Capstan has ${code}: ` +
        (schemaVersion < code ? "upgrade it first with `capstan migrate --data-dir <its directory>`" : "use the Capstan that wrote it"),
    );
  }
  if (missing.length) throw new CopySourceError(`${path} is not a Capstan database: tables ${missing.join(", ")} are missing`);

  const parents = new Map<string, string[]>();
  const info = new Map<string, SourceTable>();
  for (const name of names) {
    quoteName(name);
    const cols = db.prepare(sql.columns(name)).all() as { name: string; pk: number }[];
    cols.forEach((c) => quoteName(c.name));
    const primaryKey = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    if (!primaryKey.length) throw new CopySourceError(`table ${name} has no primary key; cannot copy it idempotently`);
    info.set(name, { name, columns: cols.map((c) => c.name), primaryKey });
    parents.set(name, (db.prepare(sql.parents(name)).pluck().all() as string[]).filter((p) => names.includes(p)));
  }
  return { schemaVersion, tables: dependencyOrder(parents).map((t) => info.get(t)!) };
}

/** One page of a table in rowid order, after `afterRowid`; rows as arrays in `columns` order. */
export function readPage(db: Database.Database, table: SourceTable, afterRowid: number, limit: number): { rowid: number; values: unknown[] }[] {
  const cols = table.columns.map(quoteName).join(", ");
  const rows = db.prepare(`SELECT rowid AS "_rowid_", ${cols} FROM ${quoteName(table.name)} WHERE rowid > ? ORDER BY rowid LIMIT ?`)
    .raw()
    .all(afterRowid, limit) as unknown[][];
  return rows.map(([rowid, ...values]) => ({ rowid: rowid as number, values }));
}

export const countRows = (db: Database.Database, table: string): number =>
  db.prepare(`SELECT COUNT(*) FROM ${quoteName(table)}`).pluck().get() as number;
