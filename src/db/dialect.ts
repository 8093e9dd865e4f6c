// The one named place of SQL dialect differences between SQLite and PostgreSQL.
//
// SQL in src/db/*.ts is written once, portably. Runtime translation is limited to `?` -> `$n`
// (toPostgres below); every other difference is either rewritten into SQL both engines accept
// (preferred; listed as PORTABLE) or produced by a named helper here (NAMED).
//
// | where (module: statement)                     | SQLite today                          | how it is written for both                                    |
// |-----------------------------------------------|---------------------------------------|---------------------------------------------------------------|
// | every statement                               | `?` placeholders                      | unchanged; toPostgres() numbers them $1..$n (not inside       |
// |                                               |                                       | literals, quoted identifiers, comments or $$ strings)         |
// | query.ts: Where.search (agents, audit,        | `col LIKE ? ESCAPE '\'` (LIKE is      | PORTABLE `lower(col) LIKE lower(?) ESCAPE '\'`; PG columns    |
// |   busRoutes, services, users lists)           |   ASCII-case-insensitive in SQLite)   |   are COLLATE "C", so lower() folds ASCII only, like SQLite   |
// | audit.ts + auditSearch.ts: free-text `q`      | FTS5 trigram index `audit_search`     | NAMED trigramTerms(q): the index narrows candidates (q of     |
// |   (list, export)                              |   (migration 010) narrows, or is      |   >= 3 characters, SQLite only); the LIKE above re-checks     |
// |                                               |   walked newest first (017); the      |   them. PG: NAMED AUDIT_SEARCH_TEXT LIKE trigramProbe(q), one |
// |                                               |   LIKE above re-checks                |   pg_trgm GIN index (017), the same LIKE re-checks            |
// |   auditSearchPg.ts (PostgreSQL only)          |                                       |   PG: TABLESAMPLE, a BRIN on created_at (018): see the module |
// | agents.ts: agentContactSql (staleOnline,      | scalar `MAX(a, b)` (PG has only the   | PORTABLE `CASE WHEN x.last_heartbeat_at > x.registered_at     |
// |   markOffline, countByStatus, list filter;    |   aggregate max; GREATEST is not in   |   THEN x.last_heartbeat_at ELSE x.registered_at END` (equal:  |
// |   services.ts effectiveServiceStatusSql)      |   SQLite)                             |   registered_at is NOT NULL, a NULL heartbeat falls to ELSE)  |
// | commandLogs.ts: sizes                         | `length(CAST(message AS BLOB))`       | PORTABLE `octet_length(message)` (SQLite >= 3.43; bundled     |
// |                                               |                                       |   3.53)                                                       |
// | services.ts: listServices capability filter   | json_each(…, '$.capabilities') +      | NAMED capabilityFilterSql(kind, manifestColumn): jsonb on PG  |
// |                                               |   json_extract                        |   (jsonb_array_elements; never the jsonb `?` operator, which  |
// |                                               |                                       |   would clash with placeholders)                              |
// | services.ts: servicesReportingPackage        | json_extract(m, '$.package.name')     | NAMED manifestPackageNameSql(kind, column): jsonb -> ->> PG   |
// | commands.ts: claimable (poll)                 | SELECT then guarded UPDATE; safe as   | NAMED skipLocked(kind) appended: PG adds FOR UPDATE SKIP      |
// |                                               |   SQLite serialises writers           |   LOCKED so two nodes never wait on / hand out the same rows  |
// | commandLogs.ts: totals + setTotals            | read-modify-write of log_count/bytes  | PORTABLE `UPDATE commands SET log_count = log_count + ?,      |
// |                                               |   (lost update under PG READ          |   log_bytes = log_bytes + ? WHERE id = ? RETURNING log_count  |
// |                                               |   COMMITTED)                          |   AS count, log_bytes AS bytes` (row lock on PG)              |
// | limiter.ts: every decision (login throttle,   | counters in process memory before     | PORTABLE one `INSERT INTO limiter_windows AS w … ON CONFLICT  |
// |   registration failures, bus ingest)          |   (could not hold across nodes)       |   (key) DO UPDATE SET … [WHERE …] RETURNING …` per decision;  |
// |                                               |                                       |   now = `excluded.window_start`; epoch ms (INTEGER/BIGINT);   |
// |                                               |                                       |   lock ladder with `1 << n` (SQLite has no pow() by default)  |
// | agents.ts recordFirstContacts: a batch's     | -                                     | NAMED lockRows(kind) on its SELECT … ORDER BY id: PG locks    |
// |   agent rows                                  |                                       |   them in id order before the set-wise UPDATEs                |
// | agents.ts writeContacts: rows another        | -                                     | NAMED unlessLocked(kind, table): PG skips rows held by a      |
// |   transaction holds                           |                                       |   first contact (FOR UPDATE SKIP LOCKED), SQLite nothing      |
// | agents.ts writeContacts, services.ts +       | -                                     | PORTABLE `UPDATE … FROM (VALUES (?, ?), …) AS v` joined on    |
// |   serviceParts.ts refreshHealth (batched,     |                                       |   v.column1/v.column2: both engines name VALUES columns so    |
// |   one statement per chunk: query.ts           |                                       |   (SQLite has no `AS v(a, b)` list); UNION ALL would hit      |
// |   inValueChunks)                              |                                       |   SQLite's 500-term compound SELECT limit                     |
// | commandSecrets.ts: take, takeKeyFor           | DELETE … RETURNING (SQLite >= 3.35)   | PORTABLE as written: one statement removes and returns the    |
// |                                               |                                       |   row, so of two nodes exactly one gets it                    |
// | query.ts: orderBy on nullable columns         | NULLs sort first ASC / last DESC; PG  | PORTABLE `col ASC NULLS FIRST` / `col DESC NULLS LAST` for    |
// |   (agents name/lastSeenAt, commands           |   is the opposite                     |   the nullable columns only; PG indexes on them are declared  |
// |   finishedAt, tokens expiresAt, services      |                                       |   `NULLS FIRST` (migrations/postgres/001) so they serve both  |
// |   lastReportedAt)                             |                                       |   directions                                                  |
// | maintenance.ts: dbFacts, integrityCheck       | PRAGMA page_count/page_size/          | NAMED POSTGRES_DB_FACTS_SQL; integrity check has no PG        |
// |                                               |   freelist/journal_mode/user_version, |   equivalent worth running online (report ["ok"] or use       |
// |                                               |   PRAGMA integrity_check              |   pg_amcheck offline)                                         |
// | open.ts migrate, cli/migrate.ts, backup.ts,   | PRAGMA user_version                   | NAMED: table schema_version (pgMigrate.ts,                    |
// |   domain/system.ts                            |                                       |   postgresSchemaVersion)                                      |
// | domain/backup.ts                              | db.backup(), sqlite_master, WAL       | SQLite only; PG backup is pg_dump/pg_restore (spec)           |
// | schema.sql / migrations                       | STRICT, INTEGER PRIMARY KEY (rowid),  | migrations/postgres/*.sql: no STRICT, BIGINT identity,        |
// |                                               |   REAL, BINARY text collation         |   DOUBLE PRECISION, TEXT COLLATE "C" (byte order = SQLite's)  |
// | all COUNT(*)/SUM                              | INTEGER                               | int8/numeric parsed to JS numbers per pool (postgres.ts)      |
// | parameters                                    | booleans refused by better-sqlite3    | postgres.ts binds booleans as 1/0, bigints as text            |
//
// Looked for and not used anywhere in src/db: total(), glob, datetime()/strftime/julianday,
// INSERT OR IGNORE/REPLACE, ifnull, last_insert_rowid (rowid only in audit.ts, see above), group_concat.

export type DialectKind = "sqlite" | "postgres";

const cache = new Map<string, string>();
const CACHE_MAX = 2000;

/**
 * `?` placeholders -> `$1..$n`. Skips '…' literals (with '' escapes; backslash is literal, as with
 * standard_conforming_strings), E'…' literals (backslash escapes), "…" identifiers, -- and /* *\/
 * comments (nested, as in PG) and $tag$…$tag$ strings. Pure and cached: list queries repeat.
 */
export function toPostgres(sql: string): string {
  const hit = cache.get(sql);
  if (hit !== undefined) return hit;
  let out = "";
  let n = 0;
  let i = 0;
  const len = sql.length;
  while (i < len) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "?") {
      out += `$${++n}`;
      i++;
    } else if (c === "'") {
      const escapes = i > 0 && /[eE]/.test(sql[i - 1]!) && !/[\w$]/.test(sql[i - 2] ?? " ");
      const end = endOfQuoted(sql, i, "'", escapes);
      out += sql.slice(i, end);
      i = end;
    } else if (c === '"') {
      const end = endOfQuoted(sql, i, '"', false);
      out += sql.slice(i, end);
      i = end;
    } else if (c === "-" && next === "-") {
      const nl = sql.indexOf("\n", i);
      const end = nl === -1 ? len : nl;
      out += sql.slice(i, end);
      i = end;
    } else if (c === "/" && next === "*") {
      const end = endOfBlockComment(sql, i);
      out += sql.slice(i, end);
      i = end;
    } else if (c === "$" && !/[\w$]/.test(sql[i - 1] ?? " ")) {
      const tag = /^\$([A-Za-z_][\w]*)?\$/.exec(sql.slice(i))?.[0];
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        const end = close === -1 ? len : close + tag.length;
        out += sql.slice(i, end);
        i = end;
      } else {
        out += c;
        i++;
      }
    } else {
      out += c;
      i++;
    }
  }
  if (cache.size >= CACHE_MAX) cache.clear(); // dynamic list queries are bounded in shape; this is a guard only
  cache.set(sql, out);
  return out;
}

/** Index just past the closing quote of a quoted run starting at `start` (doubled quote = escaped). */
function endOfQuoted(sql: string, start: number, q: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslashEscapes && c === "\\") {
      i += 2;
    } else if (c === q) {
      if (sql[i + 1] === q) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return sql.length; // unterminated: leave the rest alone, the server reports the syntax error
}

function endOfBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql[i] === "/" && sql[i + 1] === "*") {
      depth++;
      i += 2;
    } else if (sql[i] === "*" && sql[i + 1] === "/") {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}

/**
 * Poll candidates are locked on PostgreSQL so a second node skips them instead of waiting for or
 * re-reading the same rows; SQLite serialises writers, so nothing is needed there.
 */
export const skipLocked = (kind: DialectKind): string => (kind === "postgres" ? " FOR UPDATE SKIP LOCKED" : "");

/** Rows a set-wise write will change, locked up front in the SELECT's order (PostgreSQL) so two such writes never deadlock. */
export const lockRows = (kind: DialectKind): string => (kind === "postgres" ? " FOR UPDATE" : "");

/**
 * A WHERE term for an UPDATE of `table` that leaves out rows another transaction holds, instead of
 * waiting for them (PostgreSQL: the correlated subquery locks each free row, or skips it). For writes
 * that may lose a row now and then (buffered contact times); SQLite serialises writers: nothing.
 */
export const unlessLocked = (kind: DialectKind, table: string): string =>
  (kind === "postgres" ? ` AND ${table}.id IN (SELECT l.id FROM ${table} l WHERE l.id = ${table}.id FOR UPDATE SKIP LOCKED)` : "");

/**
 * "The manifest lists this capability": entries are plain strings or {name, …} objects. Two bound
 * parameters, both the capability name. A non-array `capabilities` matches nothing on PostgreSQL
 * (SQLite's json_each would walk an object's values; manifests are validated as arrays).
 */
export function capabilityFilterSql(kind: DialectKind, manifestColumn: string): string {
  if (kind === "sqlite") {
    return `EXISTS (SELECT 1 FROM json_each(${manifestColumn}, '$.capabilities') c
      WHERE (c.type = 'text' AND c.value = ?) OR (c.type = 'object' AND json_extract(c.value, '$.name') = ?))`;
  }
  const caps = `(${manifestColumn})::jsonb -> 'capabilities'`;
  return `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${caps}) = 'array' THEN ${caps} ELSE '[]'::jsonb END) c(v)
      WHERE (jsonb_typeof(c.v) = 'string' AND c.v #>> '{}' = ?) OR (jsonb_typeof(c.v) = 'object' AND c.v ->> 'name' = ?))`;
}

/** A service manifest's package.name as text (NULL when absent). */
export const manifestPackageNameSql = (kind: DialectKind, column: string): string =>
  kind === "sqlite" ? `json_extract(${column}, '$.package.name')` : `((${column})::jsonb -> 'package' ->> 'name')`;

/** Database facts for diagnostics on PostgreSQL (the SQLite side reads pragmas). */
export const POSTGRES_DB_FACTS_SQL = `SELECT pg_database_size(current_database()) AS size_bytes,
  current_setting('server_version') AS server_version, current_database() AS database,
  (SELECT COALESCE(MAX(version), 0) FROM schema_version) AS schema_version`;

/** Trigrams of q whose index hits are counted at most (each count reads up to SEARCH_INDEX_LIMIT entries). */
const MAX_TRIGRAMS = 8;

/**
 * SQLite: the 3-character windows of q as FTS5 `trigram` query terms, quoted (`"` doubled; AND, NEAR,
 * `*` inside quotes are text): every row containing q (as the literal LIKE re-check reads it) contains
 * each of them, so ANDing any of them narrows to a superset. Non-overlapping windows from the end of q
 * (ids share prefixes and differ at the end), at most MAX_TRIGRAMS. Empty when q has fewer than 3
 * characters: the trigram index cannot match those (scan instead).
 */
export function trigramTerms(q: string): string[] {
  const chars = Array.from(q);
  const grams = new Set<string>();
  for (let end = chars.length; end >= 3 && grams.size < MAX_TRIGRAMS; end -= 3) grams.add(chars.slice(end - 3, end).join(""));
  return [...grams].map((g) => `"${g.replaceAll('"', '""')}"`);
}

/**
 * PostgreSQL: the text the one pg_trgm index of migrations/postgres/017 holds (the four searched
 * columns joined by \x1f). Must stay identical to that index's expression, or the planner cannot use it.
 */
export const AUDIT_SEARCH_TEXT = "lower(coalesce(action, '') || chr(31) || coalesce(message, '') || chr(31) || coalesce(target_id, '') || chr(31) || coalesce(actor_id, ''))";

/** Characters of q's end that probe the PostgreSQL index: few trigrams, so no common prefix is read. */
const PROBE_CHARS = 5;

/**
 * PostgreSQL: a LIKE pattern (escaped, for `AUDIT_SEARCH_TEXT LIKE lower(?)`) of the last PROBE_CHARS
 * characters of q: every row containing q contains them, so it is a candidate filter. pg_trgm reads one
 * posting list per trigram of the pattern, and with all of a long q (ids sharing a 26-character prefix)
 * that was millions of postings; q's end is where ids differ. Null under 3 characters (no trigram).
 */
export function trigramProbe(q: string): string | null {
  const chars = Array.from(q);
  if (chars.length < 3) return null;
  return `%${chars.slice(-PROBE_CHARS).join("").replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
