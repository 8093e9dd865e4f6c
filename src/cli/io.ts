// What every CLI command gets: the environment and standard streams (bin/ passes the real ones,
// so src/cli never reads process.env itself), argument parsing, and the errors mapped to exit codes.
import { parseArgs, type ParseArgsConfig } from "node:util";

export interface CliIo {
  env: Record<string, string | undefined>;
  stdin: NodeJS.ReadableStream;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/** A command line that cannot be understood: exit 2 with the command's help. */
export class UsageError extends Error {}
/** The command understood and failed: exit 1 with the message only. */
export class CliError extends Error {}

export interface Command {
  /** One line for the top-level help. */
  summary: string;
  help: string;
  /** Resolves to the exit code; "running" keeps the process alive (serve). */
  run(args: string[], io: CliIo): Promise<number | "running">;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Strict parsing: unknown options and stray arguments are usage errors, never ignored. --help is
 * answered by the dispatcher (bin/capstan.ts) before a command runs; it stays a known option here. */
export function parseCommandArgs<O extends Options>(args: string[], options: O, maxPositionals = 0) {
  try {
    const parsed = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    if (parsed.positionals.length > maxPositionals) throw new UsageError(`unexpected argument ${parsed.positionals[maxPositionals]}`);
    return parsed;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(err instanceof Error ? err.message.split("\n")[0]! : String(err));
  }
}

export const PASSWORD_ENV = "CAPSTAN_USER_PASSWORD";

/**
 * A password from standard input (--password-stdin) or CAPSTAN_USER_PASSWORD; never from argv, where
 * any local user could read it in the process list.
 */
export async function readPassword(io: CliIo, fromStdin: boolean | undefined): Promise<string> {
  let password: string | undefined;
  if (fromStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    password = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  } else password = io.env[PASSWORD_ENV];
  if (!password) throw new UsageError(`give the password on standard input with --password-stdin, or in ${PASSWORD_ENV}`);
  return password;
}

export const intOption = (name: string, value: string | undefined, min: number): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}`);
  return n;
};
