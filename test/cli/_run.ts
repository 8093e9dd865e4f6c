// Runs the built CLI (dist/capstan.js) as a child process, as an operator would. `npm test` builds it
// first; when running one file by hand, run `npm run build` before.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rootPath } from "../../src/paths.js";
import { databaseEnvFor } from "../testDb.js";

export const CAPSTAN_BIN = rootPath("dist", "capstan.js");

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The data dir a CLI run uses (--data-dir or CAPSTAN_DATA_DIR): on PostgreSQL it names the run's database. */
const dataDirOf = (args: string[], env: Record<string, string> | undefined): string | undefined => {
  const i = args.indexOf("--data-dir");
  return i >= 0 ? args[i + 1] : env?.CAPSTAN_DATA_DIR;
};

export async function runCli(args: string[], opts: { env?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<CliRun> {
  if (!existsSync(CAPSTAN_BIN)) throw new Error(`${CAPSTAN_BIN} is missing: run npm run build`);
  const dbEnv = await databaseEnvFor(dataDirOf(args, opts.env));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CAPSTAN_BIN, ...args], {
      cwd: opts.cwd, env: { PATH: process.env.PATH ?? "", CAPSTAN_LOG_LEVEL: "warn", ...dbEnv, ...opts.env }, stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(opts.input ?? "");
  });
}

export interface ServeChild {
  proc: import("node:child_process").ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  output: () => string;
}

/** Starts `capstan serve --port 0` on a data dir and waits for its "listening on" line. */
export async function startServe(dataDir: string, env: Record<string, string> = {}): Promise<ServeChild> {
  const dbEnv = await databaseEnvFor(dataDir);
  const proc = spawn(process.execPath, [CAPSTAN_BIN, "serve", "--port", "0", "--data-dir", dataDir], {
    env: { PATH: process.env.PATH ?? "", CAPSTAN_LOG_LEVEL: "warn", ...dbEnv, ...env }, stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    proc.on("exit", (code, signal) => resolve({ code, signal, at: Date.now() })));
  for (let i = 0; i < 400; i++) {
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) return { proc, url: m[1]!, exited, output: () => out };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  proc.kill("SIGKILL");
  throw new Error(`server did not start:\n${out}`);
}
