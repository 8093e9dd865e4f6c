// Runs the built CLI (dist/capstan.js) as a child process, as an operator would. `npm test` builds it
// first; when running one file by hand, run `npm run build` before.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rootPath } from "../../src/paths.js";

export const CAPSTAN_BIN = rootPath("dist", "capstan.js");

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { env?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<CliRun> {
  if (!existsSync(CAPSTAN_BIN)) throw new Error(`${CAPSTAN_BIN} is missing: run npm run build`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CAPSTAN_BIN, ...args], {
      cwd: opts.cwd, env: { PATH: process.env.PATH ?? "", CAPSTAN_LOG_LEVEL: "warn", ...opts.env }, stdio: ["pipe", "pipe", "pipe"],
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
