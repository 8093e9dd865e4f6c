// Opens the configured database for one CLI command, with an App around it so commands reuse the
// domain operations (and their audit events) instead of writing SQL of their own.
import { existsSync, mkdirSync } from "node:fs";
import type { App } from "../context.js";
import { createRuntime } from "../runtime.js";
import { loadConfig, type Config } from "../config.js";
import { openConfiguredDb } from "../db/open.js";
import { createLogger } from "../log.js";
import { loadSecretBox } from "../secrets/secretKey.js";
import { databasePath, VERSION } from "../server.js";
import { CliError, type CliIo } from "./io.js";

export const DATA_DIR_OPTION = { "data-dir": { type: "string" } } as const;

export const cliConfig = (io: CliIo, dataDir: string | undefined): Config =>
  loadConfig({ ...io.env, ...(dataDir ? { CAPSTAN_DATA_DIR: dataDir } : {}) });

/**
 * Runs `fn` with an app over the data dir's database (migrated), closing it afterwards. The database
 * must exist: a mistyped --data-dir should fail, not quietly create an empty database.
 */
export async function withCliApp<T>(io: CliIo, dataDir: string | undefined, fn: (app: App) => Promise<T> | T, opts: { create?: boolean } = {}): Promise<T> {
  const config = cliConfig(io, dataDir);
  const path = databasePath(config);
  // `create`: commands that fill a new installation (import-opstage) may start from no database at all
  if (opts.create && !config.databaseUrl) mkdirSync(config.dataDir, { recursive: true });
  else if (!config.databaseUrl && !existsSync(path)) throw new CliError(`no database at ${path}; start the server once or run \`capstan migrate\``);
  const log = createLogger({ level: "warn", format: "pretty", write: (line) => io.stderr.write(line + "\n") });
  // the same key as the server's (a key file made now would be the one the server then uses)
  const secretBox = loadSecretBox(config, log);
  const db = await openConfiguredDb(config, path);
  const now = () => new Date();
  const app: App = { db, config, log, now, version: VERSION, secretBox, runtime: createRuntime(now) };
  try {
    return await fn(app);
  } finally {
    await db.close();
  }
}

/** The actor of CLI changes in the audit trail: the system, marked as the command line in metadata. */
export const CLI_ACTOR = { type: "SYSTEM", id: null } as const;
