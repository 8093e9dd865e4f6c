// Agent token lookups, cached per node (issues #15, #16). Every agent request starts with a token
// lookup joined with the agent's status: ~6 % of a heartbeat's CPU on SQLite and one of its two round
// trips on PostgreSQL. The answer changes only when an agent's status or tokens change, which is rare
// and always goes through the domain (registration, operator transitions, the offline sweep, first
// contact), so it is kept here and forgotten at each such change:
// - on this node, after the change committed (forgetAgent; a lookup in flight meanwhile is not kept,
//   see `generation`);
// - on the other nodes of a PostgreSQL database, by the NOTIFY the change sends at commit
//   (domain/wakeups.ts announceAgentChanged); if the listener loses its connection, everything is
//   forgotten when it comes back (a notification may have been missed).
// TTL_MS bounds what nothing else can: a row changed behind Capstan's back (hand-written SQL).
// Unknown tokens are never kept: random bearer tokens cannot fill the map.
import type { AgentTokenLookup } from "../db/agentTokens.js";

/** The longest a cached lookup is trusted. */
export const AGENT_TOKEN_CACHE_TTL_MS = 60_000;
/** Entries kept at most (one per agent token in use); the oldest go first. */
export const AGENT_TOKEN_CACHE_MAX = 100_000;

interface Entry {
  lookup: AgentTokenLookup;
  until: number;
}

export class AgentTokenCache {
  private readonly byHash = new Map<string, Entry>();
  private readonly hashesByAgent = new Map<string, string[]>();
  /**
   * Bumped by every forget. A lookup records it before reading the database and keeps its answer only
   * if it has not moved: a read that raced a change may have seen the old row.
   */
  generation = 0;

  constructor(private readonly ttlMs = AGENT_TOKEN_CACHE_TTL_MS, private readonly max = AGENT_TOKEN_CACHE_MAX) {}

  get size(): number {
    return this.byHash.size;
  }

  get(hash: string, nowMs: number): AgentTokenLookup | undefined {
    const e = this.byHash.get(hash);
    if (!e) return undefined;
    if (e.until > nowMs) return e.lookup;
    this.drop(hash, e.lookup.agentId);
    return undefined;
  }

  /** Keeps a lookup read while `generation` was `seenGeneration`; nothing if a forget came in between. */
  set(hash: string, lookup: AgentTokenLookup, nowMs: number, seenGeneration: number): void {
    if (seenGeneration !== this.generation) return;
    if (this.byHash.has(hash)) this.drop(hash, lookup.agentId);
    while (this.byHash.size >= this.max) {
      const [oldest, e] = this.byHash.entries().next().value!;
      this.drop(oldest, e.lookup.agentId);
    }
    this.byHash.set(hash, { lookup, until: nowMs + this.ttlMs });
    const hashes = this.hashesByAgent.get(lookup.agentId);
    if (hashes) hashes.push(hash);
    else this.hashesByAgent.set(lookup.agentId, [hash]);
  }

  /** The agent's status or tokens changed (committed): its lookups are read again. */
  forgetAgent(agentId: string): void {
    this.generation++;
    for (const hash of this.hashesByAgent.get(agentId) ?? []) this.byHash.delete(hash);
    this.hashesByAgent.delete(agentId);
  }

  /** A change may have gone unheard (the wake-up listener reconnected): read everything again. */
  clear(): void {
    this.generation++;
    this.byHash.clear();
    this.hashesByAgent.clear();
  }

  private drop(hash: string, agentId: string): void {
    this.byHash.delete(hash);
    const hashes = this.hashesByAgent.get(agentId);
    if (!hashes) return;
    const rest = hashes.filter((h) => h !== hash);
    if (rest.length) this.hashesByAgent.set(agentId, rest);
    else this.hashesByAgent.delete(agentId);
  }
}
