// The capstan command. Owns the process: it alone hands process.env, argv and the standard streams
// to the command modules in src/cli, and turns their outcome into the exit code (0 ok, 1 failure, 2 usage).
import { ZodError } from "zod";
import { COMMANDS, usage } from "../src/cli/index.js";
import { CliError, UsageError, type CliIo } from "../src/cli/io.js";
import { ConfigError } from "../src/config.js";
import { DatabaseTooNewError } from "../src/db/open.js";
import { BackupError } from "../src/domain/backup.js";
import { AppError } from "../src/errors.js";

const io: CliIo = { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

async function main(argv: string[]): Promise<number | "running"> {
  const [name = "serve", ...rest] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(usage() + "\n");
    return 0;
  }
  if (name === "--version") return COMMANDS.version!.run([], io);
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined; // not "constructor" & co.
  if (!command) throw new UsageError(`unknown command ${name}`);
  // --help anywhere after a command prints that command's help: one rule for every command
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(command.help + "\n");
    return 0;
  }
  return command.run(rest, io);
}

function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) {
    io.stderr.write(`capstan: ${err.message}\n(capstan --help lists the commands; capstan <command> --help their options)\n`);
    return 2;
  }
  if (err instanceof ZodError) {
    io.stderr.write(`capstan: invalid input:\n${err.issues.map((i) => `  ${i.path.join(".") || "value"}: ${i.message}`).join("\n")}\n`);
    return 2;
  }
  if (err instanceof CliError || err instanceof ConfigError || err instanceof DatabaseTooNewError || err instanceof BackupError || err instanceof AppError) {
    io.stderr.write(`capstan: ${err.message}\n`);
    return 1;
  }
  io.stderr.write(`capstan: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    // stdout may be a pipe: let it drain before exiting
    if (code !== "running") process.stdout.write("", () => process.exit(code));
  },
  (err: unknown) => {
    const code = exitCodeFor(err);
    process.stderr.write("", () => process.exit(code));
  },
);
