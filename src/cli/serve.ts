// capstan serve: run the server until SIGTERM/SIGINT, then stop accepting, end long polls with [],
// let in-flight requests finish and close the database.
import { createLogger } from "../log.js";
import { startServer, VERSION } from "../server.js";
import { cliConfig } from "./context.js";
import { CliError, parseCommandArgs, type CliIo, type Command } from "./io.js";
import { liveServer, removePidFile, writePidFile } from "./pidfile.js";

/** A stop that takes longer than this exits 1 anyway (a client holding a response open). */
const FORCE_EXIT_MS = 8_000;

export const serve: Command = {
  summary: "run the server (the default command)",
  help: `usage: capstan serve [--host H] [--port P] [--data-dir D]

Runs the server. Flags override CAPSTAN_HOST, CAPSTAN_PORT and CAPSTAN_DATA_DIR; every other setting
comes from CAPSTAN_* environment variables. On first start with an empty database an owner is created
from CAPSTAN_ADMIN_USERNAME / CAPSTAN_ADMIN_PASSWORD, or "admin" with a random password printed once.
SIGTERM or SIGINT stops it cleanly.`,
  async run(args: string[], io: CliIo) {
    const { values } = parseCommandArgs(args, { host: { type: "string" }, port: { type: "string" }, "data-dir": { type: "string" } });
    const config = cliConfig({ ...io, env: { ...io.env, ...(values.host ? { CAPSTAN_HOST: values.host } : {}), ...(values.port ? { CAPSTAN_PORT: values.port } : {}) } }, values["data-dir"]);
    const other = await liveServer(config.dataDir);
    if (other) throw new CliError(`another Capstan server (pid ${other.pid}, ${other.url}) is using ${config.dataDir}; stop it first`);
    const log = createLogger({ level: config.logLevel, format: config.logFormat ?? (process.stderr.isTTY ? "pretty" : "json") });
    const running = await startServer({ config, log, bootstrapOwner: true });
    writePidFile(config.dataDir, { pid: process.pid, url: running.url, startedAt: new Date().toISOString() });
    const owner = running.bootstrap;
    if (owner?.generatedPassword) {
      // printed once to the terminal, never logged again and never stored raw
      io.stdout.write(`\nCreated owner "${owner.username}" with password: ${owner.generatedPassword}\nChange it after the first login.\n\n`);
    }
    io.stdout.write(`capstan ${VERSION} listening on ${running.url} (data: ${config.dataDir})\n`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info("shutting down", { signal });
      setTimeout(() => process.exit(1), FORCE_EXIT_MS).unref();
      running.close().then(
        () => {
          removePidFile(config.dataDir, process.pid);
          process.exit(0);
        },
        (err: unknown) => {
          log.error("shutdown failed", { error: err instanceof Error ? err.message : String(err) });
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    return "running";
  },
};
