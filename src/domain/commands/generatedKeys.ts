// One-time generatedKey plaintexts, held in memory only (never a table, WAL, backup or log) until the
// one person allowed to see it reads the command. Bounded three ways so an agent cannot grow the
// process and a forgotten key does not wait for a reader forever: per key (bytes), in count (the
// oldest is dropped) and in time (gone 15 minutes after the result arrived).
import type { Role } from "../../auth/roles.js";

export const GENERATED_KEY_MAX_BYTES = 4096;
export const GENERATED_KEYS_MAX = 1000;
export const GENERATED_KEY_TTL_MS = 15 * 60_000;

interface Held {
  value: string;
  heldAt: number;
  /** Who ran the command; null for commands no user created (bus routes, system), which only an owner may read. */
  createdByUserId: string | null;
}

/** Who reads a command detail. */
export interface KeyReader {
  userId: string;
  role: Role;
}

export class GeneratedKeys {
  // Map order is insertion order, i.e. arrival order: the first entry is always the oldest
  private readonly held = new Map<string, Held>();

  /** Holds a key (the caller checked its size); drops expired keys and, past the cap, the oldest. */
  put(commandId: string, value: string, createdByUserId: string | null, nowMs: number): void {
    this.purge(nowMs);
    this.held.delete(commandId);
    this.held.set(commandId, { value, heldAt: nowMs, createdByUserId });
    while (this.held.size > GENERATED_KEYS_MAX) this.held.delete(this.held.keys().next().value!);
  }

  /**
   * The key, forgotten as it is handed out, when `reader` may see it: the user who ran the command or
   * an owner. Anyone else gets undefined and the key stays for the right reader.
   */
  take(commandId: string, reader: KeyReader, nowMs: number): string | undefined {
    this.purge(nowMs);
    const h = this.held.get(commandId);
    if (!h || nowMs - h.heldAt >= GENERATED_KEY_TTL_MS || (reader.role !== "owner" && reader.userId !== h.createdByUserId)) return undefined;
    this.held.delete(commandId);
    return h.value;
  }

  /** Whether an unexpired key is held for this command (tests, diagnostics). */
  has(commandId: string, nowMs: number): boolean {
    this.purge(nowMs);
    return this.held.has(commandId);
  }

  get size(): number {
    return this.held.size;
  }

  private purge(nowMs: number): void {
    for (const [id, h] of this.held) {
      if (nowMs - h.heldAt < GENERATED_KEY_TTL_MS) break;
      this.held.delete(id);
    }
  }
}
