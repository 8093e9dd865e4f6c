// Helpers for list queries: WHERE clauses from typed filters and ORDER BY from a whitelist only.
import type { SqlParam } from "./engine.js";

export class Where {
  readonly clauses: string[] = [];
  readonly params: SqlParam[] = [];

  /** column = ? or column IN (?, ?) for a repeated filter (values OR, filters AND). */
  anyOf(column: string, values: readonly SqlParam[] | undefined): this {
    if (!values || values.length === 0) return this;
    this.clauses.push(values.length === 1 ? `${column} = ?` : `${column} IN (${values.map(() => "?").join(", ")})`);
    this.params.push(...values);
    return this;
  }

  /** A raw clause with bound parameters (the clause text itself must be a literal in code). */
  add(clause: string, ...params: SqlParam[]): this {
    this.clauses.push(clause);
    this.params.push(...params);
    return this;
  }

  /** Literal substring search over columns: % and _ in the input are not wildcards. */
  search(columns: string[], q: string | undefined): this {
    if (!q) return this;
    const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // lower() on both sides: SQLite's LIKE folds ASCII case, PostgreSQL's does not (columns are COLLATE "C",
    // so lower() folds ASCII only there too)
    this.clauses.push(`(${columns.map((c) => `lower(${c}) LIKE lower(?) ESCAPE '\\'`).join(" OR ")})`);
    for (let i = 0; i < columns.length; i++) this.params.push(pattern);
    return this;
  }

  get sql(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(" AND ")}` : "";
  }
}

export interface SortKey {
  field: string;
  desc: boolean;
}

/** A sort whitelist entry: a column, or a nullable one (sorted with NULLs first ascending on both engines). */
export type SortColumn = string | { nullable: string };
/** Marks a nullable sort column: SQLite puts NULLs first ascending, PostgreSQL last; spelled out, both agree. */
export const nullable = (column: string): SortColumn => ({ nullable: column });

/** ORDER BY from parsed sort keys; fields map to columns through the whitelist only. A unique tiebreak keeps pages stable. */
export function orderBy(sort: SortKey[], columns: Record<string, SortColumn>, tiebreak = "id"): string {
  const parts = sort.map((s) => {
    const column = Object.hasOwn(columns, s.field) ? columns[s.field] : undefined;
    if (!column) throw new Error(`sort field ${s.field} is not whitelisted`);
    if (typeof column !== "string") return `${column.nullable} ${s.desc ? "DESC NULLS LAST" : "ASC NULLS FIRST"}`;
    return `${column} ${s.desc ? "DESC" : "ASC"}`;
  });
  const lastDesc = sort.length ? sort[sort.length - 1]!.desc : true;
  parts.push(`${tiebreak} ${lastDesc ? "DESC" : "ASC"}`);
  return `ORDER BY ${parts.join(", ")}`;
}

export const limitOffset = (page: number, pageSize: number): string =>
  `LIMIT ${Math.floor(pageSize)} OFFSET ${Math.floor((page - 1) * pageSize)}`;

/** A vocabulary list (src/vocabulary.ts, never input) as the inside of an SQL IN (...). */
export const sqlList = (values: readonly string[]): string => values.map((v) => `'${v.replaceAll("'", "''")}'`).join(", ");

export const toBool = (v: unknown): boolean => v === 1 || v === true;
export const parseJson = <T = unknown>(text: string | null | undefined, fallback: T): T => {
  if (text === null || text === undefined || text === "") return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

/** Rows per batched-update statement (VALUES lists): at most 3 parameters each, far below either engine's limit. */
export const BATCH_ROWS = 512;

/**
 * Batched updates joined on a VALUES list: `rows` cut into chunks of BATCH_ROWS, each padded to a
 * power of two with its last row (an UPDATE … FROM uses one of identical matches), so the statement
 * texts stay few and prepared. `run(values, params)` gets the `(?, ?), (?, ?)` list for the chunk.
 * Both engines name VALUES columns column1, column2, … (SQLite has no `AS v(a, b)` alias list), and
 * a VALUES list is not subject to SQLite's 500-term limit on compound SELECTs.
 */
export async function inValueChunks(rows: readonly SqlParam[][], run: (values: string, params: SqlParam[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH_ROWS) {
    const chunk = rows.slice(i, i + BATCH_ROWS);
    const size = 2 ** Math.ceil(Math.log2(chunk.length));
    while (chunk.length < size) chunk.push(chunk[chunk.length - 1]!);
    const row = `(${chunk[0]!.map(() => "?").join(", ")})`;
    await run(Array(size).fill(row).join(", "), chunk.flat());
  }
}
