// capstan backup [file]: a consistent snapshot of the database, safe while the server runs.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { openExisting } from "../db/file.js";
import { backupFileName, backupTo } from "../domain/backup.js";
import { postgresBackupAdvice } from "../db/facts.js";
import { databasePath } from "../server.js";
import { cliConfig, DATA_DIR_OPTION } from "./context.js";
import { CliError, parseCommandArgs, type Command } from "./io.js";

const HELP = `usage: capstan backup [FILE] [--data-dir D]

Writes a consistent snapshot of the database with the SQLite online backup API. Safe while the server
runs. FILE defaults to <data dir>/backups/capstan-<UTC time>.db and must not exist yet. The copy is
checked with PRAGMA integrity_check before the command reports success. Restore it with
\`capstan restore FILE\` while the server is stopped. With CAPSTAN_DATABASE_URL (PostgreSQL) it prints
the pg_dump/pg_restore commands instead and exits 1.`;

export const backup: Command = {
  summary: "write a consistent snapshot of the database",
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { ...DATA_DIR_OPTION }, 1);
    const config = cliConfig(io, values["data-dir"]);
    if (config.databaseUrl) throw new CliError(postgresBackupAdvice(config.databaseUrl));
    const source = databasePath(config);
    if (!existsSync(source)) throw new CliError(`no database at ${source}`);
    const dest = resolve(positionals[0] ?? join(config.dataDir, "backups", backupFileName(new Date())));
    if (existsSync(dest)) throw new CliError(`${dest} already exists; choose another file`);
    // a connection of our own, not openDb(): a backup must never migrate the database it copies
    const db = openExisting(source, 5000);
    try {
      const { bytes } = await backupTo(db, dest, false);
      io.stdout.write(`${dest}\n`);
      io.stderr.write(`backup written: ${bytes} bytes, integrity ok\n`);
    } finally {
      db.close();
    }
    return 0;
  },
};
