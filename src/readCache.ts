// Per-node caches of hot reads that change rarely, and only through the domain (issues #15, #16).
// The SDK's heartbeat needs two facts besides its own body: the agent token's row with the agent's
// status, and the service's stored health fingerprint. Read from the database each time, they were
// ~10 % of a heartbeat's CPU on SQLite and its only two round trips on PostgreSQL. Each is kept here
// and forgotten wherever it changes (domain/wakeups.ts announceAgentChanged / announceServiceChanged):
// - on this node at once, inside the changing transaction; a lookup of that owner in flight meanwhile
//   is not kept (`generation`: per owner, since a global one would, with thousands of reads in flight
//   on PostgreSQL and a forget every few milliseconds while a fleet connects, discard nearly every
//   read, and the cache would never fill). SQLite serialises readers behind an open transaction;
// - on PostgreSQL, by the NOTIFY the change sends at commit, heard by every node, this one included
//   (which forgets again: a read between its first forget and the commit may have seen the old row);
//   if a node's listener loses its connection, it forgets everything when it comes back.
// TTL_MS bounds what nothing else can: a row changed behind Capstan's back (hand-written SQL).
// Only what the database returned is kept: unknown keys (random bearer tokens) never fill the map.

/** The longest a cached read is trusted. */
export const READ_CACHE_TTL_MS = 60_000;
/** Entries kept at most per cache; the oldest go first. */
export const READ_CACHE_MAX = 100_000;
/** A read that took longer than this is not kept: forgets older than it are not remembered. */
const RACE_WINDOW_MS = 30_000;

interface Entry<V> {
  value: V;
  owner: string;
  until: number;
}

/** Values by key, each belonging to an owner (the agent, the service) that a change forgets as a whole. */
export class ReadCache<V> {
  private readonly byKey = new Map<string, Entry<V>>();
  private readonly keysByOwner = new Map<string, string[]>();
  /**
   * Bumped by every forget and clear. A lookup records it before its read; its answer is kept unless its
   * owner was forgotten (or everything cleared) after that.
   */
  generation = 0;
  /** The generation of each owner's latest forget within RACE_WINDOW_MS, oldest first. */
  private readonly forgotten = new Map<string, { generation: number; atMs: number }>();
  private clearedAt = 0;

  constructor(private readonly ttlMs = READ_CACHE_TTL_MS, private readonly max = READ_CACHE_MAX) {}

  get size(): number {
    return this.byKey.size;
  }

  get(key: string, nowMs: number): V | undefined {
    const e = this.byKey.get(key);
    if (!e) return undefined;
    if (e.until > nowMs) return e.value;
    this.drop(key, e.owner);
    return undefined;
  }

  /** Keeps a value read while `generation` was `seenGeneration`; nothing if a forget came in between. */
  set(key: string, owner: string, value: V, nowMs: number, seenGeneration: number): void {
    if (seenGeneration < this.clearedAt || (this.forgotten.get(owner)?.generation ?? 0) > seenGeneration) return;
    const old = this.byKey.get(key);
    if (old) this.drop(key, old.owner);
    while (this.byKey.size >= this.max) {
      const [oldest, e] = this.byKey.entries().next().value!;
      this.drop(oldest, e.owner);
    }
    // Between 3/4 of the TTL and the TTL, at random: a fleet whose entries were all filled while it
    // connected would otherwise miss them all in the same second a TTL later, one read each at once.
    this.byKey.set(key, { value, owner, until: nowMs + this.ttlMs - Math.random() * (this.ttlMs / 4) });
    const keys = this.keysByOwner.get(owner);
    if (keys) keys.push(key);
    else this.keysByOwner.set(owner, [key]);
  }

  /** The owner changed: every value of it is read again. */
  forget(owner: string): void {
    this.generation++;
    for (const key of this.keysByOwner.get(owner) ?? []) this.byKey.delete(key);
    this.keysByOwner.delete(owner);
    const atMs = Date.now();
    this.forgotten.delete(owner); // re-inserted last: the map stays in time order
    this.forgotten.set(owner, { generation: this.generation, atMs });
    for (const [o, f] of this.forgotten) {
      if (atMs - f.atMs < RACE_WINDOW_MS) break;
      this.forgotten.delete(o);
    }
  }

  /** A change may have gone unheard: read everything again. */
  clear(): void {
    this.clearedAt = ++this.generation;
    this.byKey.clear();
    this.keysByOwner.clear();
    this.forgotten.clear();
  }

  private drop(key: string, owner: string): void {
    this.byKey.delete(key);
    const keys = this.keysByOwner.get(owner);
    if (!keys) return;
    const rest = keys.filter((k) => k !== key);
    if (rest.length) this.keysByOwner.set(owner, rest);
    else this.keysByOwner.delete(owner);
  }
}

/** A read through a cache: the cached value, or the database's (kept unless a forget raced the read). */
export async function readThrough<V>(
  cache: ReadCache<V>, key: string, nowMs: number, read: () => Promise<V | undefined>, ownerOf: (v: V) => string,
): Promise<V | undefined> {
  const cached = cache.get(key, nowMs);
  if (cached !== undefined) return cached;
  const seen = cache.generation;
  const startedMs = Date.now();
  const found = await read();
  if (found !== undefined && Date.now() - startedMs < RACE_WINDOW_MS) cache.set(key, ownerOf(found), found, nowMs, seen);
  return found;
}
