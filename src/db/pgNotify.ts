// LISTEN on one dedicated PostgreSQL connection per node (pooled clients cannot LISTEN: they change
// hands). Reconnects by itself with capped, jittered backoff and re-LISTENs every channel; because
// notifications sent while disconnected are lost, each subscriber's onReconnect runs after a
// re-connection so it can re-check (parked polls also re-check on their own timer).
import type pg from "pg";
import { pgDriver } from "./pgDriver.js";

interface Sub {
  cb: (payload: string) => void;
  onReconnect: (() => void) | undefined;
}

const MIN_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;

export class Listener {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly channels = new Map<string, Set<Sub>>();
  private closed = false;
  private retryMs = MIN_RETRY_MS;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly config: pg.ClientConfig, private readonly onError: (err: Error) => void) {}

  /** Resolves once LISTEN is active on the current connection; the result unsubscribes. */
  async listen(channel: string, cb: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>> {
    if (this.closed) throw new Error("listener is closed");
    const sub: Sub = { cb, onReconnect };
    let subs = this.channels.get(channel);
    if (!subs) this.channels.set(channel, (subs = new Set()));
    subs.add(sub);
    try {
      const client = await this.ensure();
      await client.query(`LISTEN ${pgDriver().escapeIdentifier(channel)}`); // repeating LISTEN is a no-op
    } catch (err) {
      subs.delete(sub);
      if (subs.size === 0) this.channels.delete(channel);
      throw err;
    }
    return async () => {
      subs.delete(sub);
      if (subs.size > 0 || this.channels.get(channel) !== subs) return;
      this.channels.delete(channel);
      await this.client?.query(`UNLISTEN ${pgDriver().escapeIdentifier(channel)}`).catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => {});
  }

  private ensure(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const c = new (pgDriver().Client)({ ...this.config, keepAlive: true });
    // attached before connect: an 'error' event without a listener would crash the process
    c.on("error", (err) => {
      this.onError(err);
      this.lost(c);
    });
    c.on("end", () => this.lost(c));
    c.on("notification", (msg) => {
      for (const s of this.channels.get(msg.channel) ?? []) {
        try {
          s.cb(msg.payload ?? "");
        } catch (err) {
          this.onError(err as Error); // one subscriber's bug must not starve the others
        }
      }
    });
    try {
      await c.connect();
      for (const ch of this.channels.keys()) await c.query(`LISTEN ${pgDriver().escapeIdentifier(ch)}`);
    } catch (err) {
      await c.end().catch(() => {});
      throw err;
    }
    if (this.closed) {
      await c.end().catch(() => {});
      throw new Error("listener is closed");
    }
    this.client = c;
    return c;
  }

  private lost(c: pg.Client): void {
    if (this.client !== c) return;
    this.client = undefined;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.channels.size === 0 || this.timer) return;
    const delay = this.retryMs / 2 + Math.random() * (this.retryMs / 2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ensure().then(
        () => {
          this.retryMs = MIN_RETRY_MS;
          for (const subs of this.channels.values()) for (const s of subs) s.onReconnect?.();
        },
        (err: Error) => {
          this.onError(err);
          this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.timer.unref(); // a pending reconnect never keeps the process alive on its own
  }
}
