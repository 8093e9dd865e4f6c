// capstan import-opstage <opstage.db>: moves an Opstage CE installation's data into Capstan (spec
// upstream-v04.md section 4). Parses the command line, reads the upstream file (src/db/opstageSource.ts),
// runs the import (src/domain/opstageImport.ts) and prints the counts per table.
import { resolve } from "node:path";
import { OpstageSourceError, readOpstageSource } from "../db/opstageSource.js";
import { importOpstage, type TableCount } from "../domain/opstageImport.js";
import { AppError } from "../errors.js";
import { DATA_DIR_OPTION, withCliApp } from "./context.js";
import { CliError, parseCommandArgs, UsageError, type Command } from "./io.js";

const HELP = `usage: capstan import-opstage FILE [--force] [--data-dir D]

Imports an Opstage CE (v0.1-v0.4) SQLite database into this Capstan's database (SQLite, or
PostgreSQL with CAPSTAN_DATABASE_URL): users (their passwords keep working and are re-hashed to
argon2id at the next login), agents with their tokens (running agents keep heartbeating without
re-registering), registration tokens, services with configs and actions, commands with results,
audit events and bus routes. FILE is opened read-only. Ids are kept.

The import is one transaction: it lands completely or not at all. A Capstan database that already
holds data is refused unless --force (then rows whose id, username or code exists are skipped).
Running it again with the same FILE adds only rows that are missing: a second run is a no-op.
Prints the rows per table (in FILE, imported, skipped); audited as system.import.completed.

Exit codes: 0 imported (or nothing left to import); 1 failure (the target holds data, database
error); 2 usage, or FILE is unreadable or not an Opstage CE database.`;

export const formatImportCounts = (rows: readonly TableCount[]): string => {
  const w = Math.max(5, ...rows.map((r) => r.table.length));
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(w)}  ${b.padStart(8)}  ${c.padStart(8)}  ${d.padStart(8)}`;
  return [line("table", "in file", "imported", "skipped"), ...rows.map((r) => line(r.table, String(r.source), String(r.imported), String(r.skipped)))].join("\n") + "\n";
};

export const importOpstageCommand: Command = {
  summary: "import an Opstage CE database (users, agents and tokens, services, commands, audit)",
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { ...DATA_DIR_OPTION, force: { type: "boolean" } }, 1);
    if (!positionals[0]) throw new UsageError("import-opstage needs the Opstage database file");
    const file = resolve(positionals[0]);
    let source;
    try {
      source = readOpstageSource(file); // before the target is touched: a wrong file changes nothing
    } catch (err) {
      if (err instanceof OpstageSourceError) throw new UsageError(err.message);
      throw err;
    }
    const result = await withCliApp(io, values["data-dir"], async (app) => {
      try {
        return await importOpstage(app, source, { force: values.force === true, fileLabel: file });
      } catch (err) {
        if (err instanceof AppError) throw err;
        // a constraint or database error: the transaction rolled back, nothing was kept
        throw new CliError(`import failed, nothing was imported: ${(err as Error).message}`);
      }
    }, { create: true });
    io.stdout.write(formatImportCounts(result.tables));
    io.stderr.write(result.imported === 0
      ? `nothing to import: every row of ${file} is already in this database\n`
      : `${result.imported} rows imported from ${file}\n`);
    return 0;
  },
};
