// Session-level advisory locks on one dedicated PostgreSQL connection per node (a pooled client
// would take the lock with it back to the pool). Used for singletons such as the maintenance sweep:
// the node holding the lock runs it; if that node dies, its session ends, PostgreSQL frees the lock
// and another node's next tryLock wins.
import type pg from "pg";
import { pgDriver } from "./pgDriver.js";

/** numbers are used as the bigint key; strings are hashed server-side into one. */
const keyExpr = (key: number | string): string => (typeof key === "number" ? "$1::bigint" : "hashtextextended($1, 0)");

export class LockSession {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  /** Keys this session holds; session locks stack, so a held key is never asked for twice. */
  private readonly held = new Set<string>();

  constructor(private readonly config: pg.ClientConfig, private readonly onError: (err: Error) => void) {}

  /**
   * One call at a time on the session's connection: several singletons (the maintenance sweep, the
   * Telegram poller) share it, and overlapping queries on one pg client are deprecated (refused in pg 9).
   */
  private queue: Promise<unknown> = Promise.resolve();
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }

  tryLock(key: number | string): Promise<boolean> {
    return this.serial(() => this.tryLockNow(key));
  }

  private async tryLockNow(key: number | string): Promise<boolean> {
    const c = await this.ensure();
    const k = `${typeof key}:${key}`;
    if (this.held.has(k)) {
      // still ours only if the session is alive; a failed round trip ends the session (lost())
      await c.query("SELECT 1");
      return this.client === c && this.held.has(k);
    }
    const r = await c.query({ text: `SELECT pg_try_advisory_lock(${keyExpr(key)}) AS ok`, values: [key] });
    const ok = r.rows[0]?.ok === true;
    if (ok) this.held.add(k);
    return ok;
  }

  unlock(key: number | string): Promise<void> {
    return this.serial(async () => {
      const k = `${typeof key}:${key}`;
      if (!this.held.delete(k) || !this.client) return;
      await this.client.query({ text: `SELECT pg_advisory_unlock(${keyExpr(key)})`, values: [key] });
    });
  }

  /** Ends the session, which frees every lock it holds. */
  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.held.clear();
    await c?.end().catch(() => {});
  }

  private ensure(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const c = new (pgDriver().Client)({ ...this.config, keepAlive: true });
      c.on("error", (err) => {
        this.onError(err);
        this.lost(c);
      });
      c.on("end", () => this.lost(c));
      try {
        await c.connect();
      } catch (err) {
        await c.end().catch(() => {});
        throw err;
      }
      this.client = c;
      return c;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private lost(c: pg.Client): void {
    if (this.client !== c) return;
    this.client = undefined;
    this.held.clear(); // the server freed them with the session
  }
}
