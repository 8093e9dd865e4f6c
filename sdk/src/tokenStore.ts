// Where the agent token lives between restarts. The file is written atomically (temp file + rename,
// so a crash never leaves half a token) with mode 0600 (the token is a credential).
import { chmod, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger, TokenRecord, TokenStore } from "./types.js";

export class FileTokenStore implements TokenStore {
  constructor(readonly path: string, private readonly log?: Logger) {}

  async load(): Promise<TokenRecord | null> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    const mode = (await stat(this.path)).mode & 0o777;
    if (mode & 0o077 && process.platform !== "win32") {
      this.log?.warn("agent token file was readable by others; restricting it to 0600", { path: this.path, mode: mode.toString(8) });
      await chmod(this.path, 0o600);
    }
    try {
      const rec = JSON.parse(text) as Partial<TokenRecord>;
      if (typeof rec.agentId === "string" && typeof rec.agentToken === "string") {
        return { agentId: rec.agentId, agentToken: rec.agentToken, backendUrl: String(rec.backendUrl ?? ""), savedAt: String(rec.savedAt ?? "") };
      }
    } catch {
      // fall through: a corrupt file is treated like a missing one
    }
    this.log?.warn("agent token file is not valid; ignoring it", { path: this.path });
    return null;
  }

  async save(record: TokenRecord): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.${Date.now()}.tmp`;
    const fh = await open(tmp, "wx", 0o600);
    try {
      await fh.writeFile(JSON.stringify(record, null, 2) + "\n");
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

/** Keeps the token in memory only: the agent registers again on every start. */
export class MemoryTokenStore implements TokenStore {
  private record: TokenRecord | null = null;
  async load(): Promise<TokenRecord | null> {
    return this.record;
  }
  async save(record: TokenRecord): Promise<void> {
    this.record = { ...record };
  }
  async clear(): Promise<void> {
    this.record = null;
  }
}
