// The capstan command. Owns the process: environment, argv, signals, exit codes.
import { loadConfig, ConfigError } from "../src/config.js";
import { DatabaseTooNewError } from "../src/db/open.js";
import { bootstrapOwner } from "../src/domain/users.js";
import { createLogger } from "../src/log.js";
import { startServer, VERSION } from "../src/server.js";

const USAGE = `capstan ${VERSION} — control plane for Capsule Services

usage: capstan <command> [options]

commands:
  serve [--host H] [--port P] [--data-dir D]   run the server (default)
  version                                      print the version
  help                                         this text

Configuration comes from CAPSTAN_* environment variables (see README); flags override them.
Exit codes: 0 ok, 1 failure, 2 usage.`;

function flagsToEnv(args: string[]): Record<string, string> {
  const names: Record<string, string> = { "--host": "CAPSTAN_HOST", "--port": "CAPSTAN_PORT", "--data-dir": "CAPSTAN_DATA_DIR" };
  const env: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split("=", 2) as [string, string | undefined];
    const name = names[flag];
    const value = inline ?? args[++i];
    if (!name || value === undefined) throw new UsageError(`unknown or incomplete option ${args[i - (inline ? 0 : 1)] ?? flag}`);
    env[name] = value;
  }
  return env;
}

class UsageError extends Error {}

async function serve(args: string[]): Promise<void> {
  const config = loadConfig({ ...process.env, ...flagsToEnv(args) });
  const log = createLogger({ level: config.logLevel, format: config.logFormat ?? (process.stderr.isTTY ? "pretty" : "json") });
  const running = await startServer({ config, log });
  const owner = await bootstrapOwner(running.app, { username: config.adminUsername, password: config.adminPassword });
  if (owner?.generatedPassword) {
    // printed once to the terminal, never logged again and never stored raw
    process.stdout.write(`\nCreated owner "${owner.username}" with password: ${owner.generatedPassword}\nChange it after the first login.\n\n`);
  }
  process.stdout.write(`capstan ${VERSION} listening on ${running.url} (data: ${config.dataDir})\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    const force = setTimeout(() => process.exit(1), 8_000);
    force.unref();
    running.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

async function main(argv: string[]): Promise<number> {
  const [command = "serve", ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  if (command === "version" || command === "--version") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (command === "serve") {
    if (rest.includes("--help")) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    await serve(rest);
    return -1; // keep running
  }
  throw new UsageError(`unknown command ${command}`);
}

main(process.argv.slice(2)).then(
  (code) => { if (code >= 0) process.exit(code); },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`capstan: ${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    if (err instanceof ConfigError || err instanceof DatabaseTooNewError) {
      process.stderr.write(`capstan: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`capstan: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
