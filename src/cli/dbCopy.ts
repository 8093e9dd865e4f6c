// capstan db copy --from sqlite:<file> --to postgres://…: moves an installation to PostgreSQL.
// The copy itself lives in src/db/copy.ts; this file parses the command line, opens both ends and
// prints the per-table counts.
import { resolve } from "node:path";
import { copyToPostgres, type TableCopy } from "../db/copy.js";
import { CopySourceError, openCopySource } from "../db/copySource.js";
import { migratePostgres } from "../db/pgMigrate.js";
import { openPostgres, type PostgresDb } from "../db/postgres.js";
import { CliError, intOption, parseCommandArgs, UsageError, type Command } from "./io.js";

const HELP = `usage: capstan db copy --from sqlite:FILE --to postgres://USER:PASSWORD@HOST:PORT/DB [--batch-size N]

Copies every row of a Capstan SQLite database into a PostgreSQL database, then verifies the row
count of every table and prints them. The SQLite file is opened read-only; it must be a Capstan
database of this version's schema (run \`capstan migrate\` on an older one first). The PostgreSQL
database is created-or-upgraded to the same schema first (as a node does at start).

Tables are copied parents first, in batches of N rows (default 1000), one transaction per table.
Rows whose primary key already exists in PostgreSQL are skipped, so the command is idempotent: run
it again after an interruption, or a last time after stopping the server to pick up late rows
(rows changed in SQLite after they were copied are not updated: stop the server for the final run).
A row that collides with a different row on another unique column (a username) fails the copy.

Exit codes: 0 copied and verified; 1 failure (connection, schema mismatch, PostgreSQL has fewer rows
than SQLite for some table); 2 usage, or the source is not a Capstan database of this version.`;

/** The URL with its password masked, for messages. */
export const maskUrl = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<the --to URL>";
  }
};

function parseTargets(from: string | undefined, to: string | undefined): { file: string; url: string } {
  if (!from || !to) throw new UsageError("db copy needs --from sqlite:FILE and --to postgres://…");
  if (!from.startsWith("sqlite:")) throw new UsageError(`--from must be sqlite:FILE (got ${from})`);
  const file = from.slice("sqlite:".length).replace(/^\/\/(?=\/)/, ""); // sqlite:///abs/path is /abs/path too
  if (!file) throw new UsageError("--from sqlite: names no file");
  if (!/^postgres(ql)?:\/\//.test(to)) throw new UsageError("--to must be a postgres:// or postgresql:// URL");
  return { file: resolve(file), url: to };
}

export const formatCounts = (rows: readonly TableCopy[]): string => {
  const w = Math.max(5, ...rows.map((r) => r.table.length));
  const line = (a: string, b: string, c: string, d: string, e: string) =>
    `${a.padEnd(w)}  ${b.padStart(8)}  ${c.padStart(8)}  ${d.padStart(10)}  ${e}`.trimEnd();
  return [line("table", "copied", "sqlite", "postgres", ""), ...rows.map((r) =>
    line(r.table, String(r.copied), String(r.source), String(r.target), r.ok ? "ok" : "MISSING ROWS"))].join("\n") + "\n";
};

/** A PostgreSQL error with the table and detail it names (a constraint violation says which row). */
const describeError = (err: unknown): string => {
  const e = err as { message?: string; table?: string; detail?: string };
  return [e.message ?? String(err), e.table ? `table ${e.table}` : "", e.detail ?? ""].filter(Boolean).join("; ");
};

async function openTarget(url: string): Promise<PostgresDb> {
  let pg: PostgresDb;
  try {
    pg = await openPostgres(url, { poolSize: 2, applicationName: "capstan db copy" });
  } catch (err) {
    throw new CliError(`cannot connect to ${maskUrl(url)}: ${(err as Error).message}`);
  }
  try {
    await migratePostgres(pg); // under its advisory lock: safe while nodes start against the same database
  } catch (err) {
    await pg.close();
    throw err;
  }
  return pg;
}

const copy = async (args: string[], io: Parameters<Command["run"]>[1]): Promise<number> => {
  const { values } = parseCommandArgs(args, { from: { type: "string" }, to: { type: "string" }, "batch-size": { type: "string" } });
  const { file, url } = parseTargets(values.from, values.to);
  const batchSize = intOption("batch-size", values["batch-size"], 1);
  let source;
  try {
    source = openCopySource(file);
  } catch (err) {
    // the operator pointed at the wrong file: a usage error (exit 2), with the reason
    if (err instanceof CopySourceError) throw new UsageError(err.message);
    throw err;
  }
  try {
    const pg = await openTarget(url);
    try {
      const rows = await copyToPostgres(source, pg, { batchSize }).catch((err: unknown) => {
        throw new CliError(`copy failed, nothing of the failing table was kept: ${describeError(err)}`);
      });
      io.stdout.write(formatCounts(rows));
      const short = rows.filter((r) => !r.ok);
      if (short.length) {
        io.stderr.write(`capstan: PostgreSQL has fewer rows than SQLite in ${short.map((r) => r.table).join(", ")}\n`);
        return 1;
      }
      const copied = rows.reduce((n, r) => n + r.copied, 0);
      io.stderr.write(`${copied} rows copied from ${file} to ${maskUrl(url)}; counts verified for ${rows.length} tables\n`);
      return 0;
    } finally {
      await pg.close();
    }
  } finally {
    source.db.close();
  }
};

export const db: Command = {
  summary: "database tools: copy an installation from SQLite to PostgreSQL",
  help: HELP,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === "copy") return copy(rest, io);
    throw new UsageError(sub ? `unknown db subcommand ${sub}` : "db needs a subcommand: copy");
  },
};
