// Per-node caches of hot reads that change rarely, and only through the domain (issues #15, #16).
// The SDK's heartbeat needs two facts besides its own body: the agent token's row with the agent's
// status, and the service's stored health fingerprint. Read from the database each time, they were
// ~10 % of a heartbeat's CPU on SQLite and its only two round trips on PostgreSQL. Each is kept here
// and forgotten wherever it changes (domain/wakeups.ts announceAgentChanged / announceServiceChanged):
// - on this node at once, inside the changing transaction; a lookup in flight meanwhile is not kept
//   (`generation`). SQLite serialises readers behind an open transaction, so nothing older comes back;
// - on PostgreSQL, by the NOTIFY the change sends at commit, heard by every node, this one included
//   (which forgets again: a read between its first forget and the commit may have seen the old row);
//   if a node's listener loses its connection, it forgets everything when it comes back.
// TTL_MS bounds what nothing else can: a row changed behind Capstan's back (hand-written SQL).
// Only what the database returned is kept: unknown keys (random bearer tokens) never fill the map.

/** The longest a cached read is trusted. */
export const READ_CACHE_TTL_MS = 60_000;
/** Entries kept at most per cache; the oldest go first. */
export const READ_CACHE_MAX = 100_000;

interface Entry<V> {
  value: V;
  owner: string;
  until: number;
}

/** Values by key, each belonging to an owner (the agent, the service) that a change forgets as a whole. */
export class ReadCache<V> {
  private readonly byKey = new Map<string, Entry<V>>();
  private readonly keysByOwner = new Map<string, string[]>();
  /** Bumped by every forget. A lookup records it before its read and keeps the answer only if it has not moved. */
  generation = 0;

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
    if (seenGeneration !== this.generation) return;
    const old = this.byKey.get(key);
    if (old) this.drop(key, old.owner);
    while (this.byKey.size >= this.max) {
      const [oldest, e] = this.byKey.entries().next().value!;
      this.drop(oldest, e.owner);
    }
    this.byKey.set(key, { value, owner, until: nowMs + this.ttlMs });
    const keys = this.keysByOwner.get(owner);
    if (keys) keys.push(key);
    else this.keysByOwner.set(owner, [key]);
  }

  /** The owner changed: every value of it is read again. */
  forget(owner: string): void {
    this.generation++;
    for (const key of this.keysByOwner.get(owner) ?? []) this.byKey.delete(key);
    this.keysByOwner.delete(owner);
  }

  /** A change may have gone unheard: read everything again. */
  clear(): void {
    this.generation++;
    this.byKey.clear();
    this.keysByOwner.clear();
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
  const found = await read();
  if (found !== undefined) cache.set(key, ownerOf(found), found, nowMs, seen);
  return found;
}
