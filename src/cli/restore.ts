// capstan restore FILE: replace the database with a verified backup while no server runs.
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { restoreDatabase } from "../domain/backup.js";
import { postgresBackupAdvice } from "../db/facts.js";
import { databasePath } from "../server.js";
import { cliConfig, DATA_DIR_OPTION } from "./context.js";
import { CliError, UsageError, parseCommandArgs, type Command } from "./io.js";
import { liveServer } from "./pidfile.js";

const HELP = `usage: capstan restore FILE [--data-dir D]

Replaces the database in the data dir with FILE, a backup from \`capstan backup\` or the backup
endpoint. Refused while a server uses the data dir: stop it first. FILE must pass PRAGMA
integrity_check, be a Capstan database and not be newer than this Capstan. The replaced database is
kept beside it as capstan.db.before-restore-<time>. Older backups are migrated at once.`;

export const restore: Command = {
  summary: "replace the database with a backup (server stopped)",
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { ...DATA_DIR_OPTION }, 1);
    const file = positionals[0];
    if (!file) throw new UsageError("restore needs the backup FILE");
    const config = cliConfig(io, values["data-dir"]);
    if (config.databaseUrl) throw new CliError(postgresBackupAdvice(config.databaseUrl));
    const source = resolve(file);
    if (!existsSync(source)) throw new CliError(`${source}: no such file`);
    const live = await liveServer(config.dataDir);
    if (live) throw new CliError(`a Capstan server (pid ${live.pid}, ${live.url}) is using ${config.dataDir}; stop it before restoring`);
    mkdirSync(config.dataDir, { recursive: true });
    const target = databasePath(config);
    if (resolve(target) === source) throw new CliError("that file is the live database itself");
    const result = await restoreDatabase(source, target, new Date());
    io.stdout.write(`restored ${source} -> ${target} (schema version ${result.schemaVersion})\n`);
    if (result.previous) io.stdout.write(`the previous database was kept as ${result.previous}\n`);
    return 0;
  },
};
