// The serve lock: `serve` writes <data dir>/capstan.pid ({pid, url}) and removes it on a clean stop.
// restore (and a second serve) refuse to touch a database a live server owns. A leftover file from a
// crash is stale when its process is gone and its URL does not answer.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface PidInfo {
  pid: number;
  url: string;
  startedAt: string;
}

export const pidFilePath = (dataDir: string): string => join(dataDir, "capstan.pid");

export function readPidFile(dataDir: string): PidInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(pidFilePath(dataDir), "utf8")) as Partial<PidInfo>;
    return typeof v.pid === "number" && typeof v.url === "string" ? { pid: v.pid, url: v.url, startedAt: String(v.startedAt ?? "") } : undefined;
  } catch {
    return undefined;
  }
}

export function writePidFile(dataDir: string, info: PidInfo): void {
  writeFileSync(pidFilePath(dataDir), JSON.stringify(info) + "\n", { mode: 0o644 });
}

/** Removes the file only if it is still ours (a newer server may have replaced it). */
export function removePidFile(dataDir: string, pid: number): void {
  if (readPidFile(dataDir)?.pid === pid) rmSync(pidFilePath(dataDir), { force: true });
}

function processAlive(pid: number): boolean {
  // in a container the server is often pid 1 and so is a restarted one: our own pid is never "another server"
  if (pid === process.pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1500) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** The live server using this data dir, if any. */
export async function liveServer(dataDir: string): Promise<PidInfo | undefined> {
  const info = readPidFile(dataDir);
  if (!info) return undefined;
  return processAlive(info.pid) || (info.pid !== process.pid && (await answers(info.url))) ? info : undefined;
}
