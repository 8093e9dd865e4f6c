// capstan migrate: create or upgrade the database schema without starting the server (upgrades
// can then be checked before traffic arrives). A database newer than this Capstan is refused.
import { existsSync, mkdirSync } from "node:fs";
import { openExisting, schemaVersion } from "../db/file.js";
import { appliedSchemaVersion, redactedUrl } from "../db/facts.js";
import { openConfiguredDb } from "../db/open.js";
import { openPostgres } from "../db/postgres.js";
import { databasePath } from "../server.js";
import { cliConfig, DATA_DIR_OPTION } from "./context.js";
import { parseCommandArgs, type Command } from "./io.js";

const HELP = `usage: capstan migrate [--data-dir D]

Creates the database if it does not exist and applies every pending migration, each in its own
transaction. A database written by a newer Capstan is refused with exit code 1. \`serve\` does the
same at start; run this to upgrade ahead of time. Take a backup first.`;

export const migrate: Command = {
  summary: "create or upgrade the database schema",
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { ...DATA_DIR_OPTION });
    const config = cliConfig(io, values["data-dir"]);
    const path = config.databaseUrl ? redactedUrl(config.databaseUrl) : databasePath(config);
    let from: number;
    if (config.databaseUrl) {
      const probe = await openPostgres(config.databaseUrl, { poolSize: 1 }); // read the version before the ladder runs
      try {
        from = await appliedSchemaVersion(probe);
      } finally {
        await probe.close();
      }
    } else {
      mkdirSync(config.dataDir, { recursive: true });
      from = existsSync(path) ? schemaVersionOf(path) : 0;
    }
    const db = await openConfiguredDb(config, path); // applies the ladder, or throws DatabaseTooNewError (exit 1)
    const to = await appliedSchemaVersion(db);
    await db.close();
    io.stdout.write(from === to ? `${path}: schema version ${to}, up to date\n` : `${path}: schema version ${from} -> ${to}\n`);
    return 0;
  },
};

function schemaVersionOf(path: string): number {
  const db = openExisting(path);
  try {
    return schemaVersion(db);
  } finally {
    db.close();
  }
}
