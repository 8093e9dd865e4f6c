// One-time messages carried across a POST -> 303 -> GET (the no-JavaScript flow). Kept in memory,
// per session (app.runtime.flashes): a raw token shown "once" must never travel in a URL or reach the database.
import type { App } from "../context.js";

export interface Flash {
  kind: "success" | "error" | "info";
  message: string;
  /** A secret to show exactly once (raw registration or API token), with an optional ready-to-paste snippet. */
  secret?: { label: string; value: string; snippet?: string };
}

export interface FlashEntry {
  flash: Flash;
  at: number;
}

const TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 1000;

export function setFlash(app: App, sessionId: string | undefined, flash: Flash): void {
  if (!sessionId) return;
  const store = app.runtime.flashes;
  // bounded: the oldest entry goes first (Map keeps insertion order)
  if (store.size >= MAX_ENTRIES) store.delete(store.keys().next().value!);
  store.delete(sessionId);
  store.set(sessionId, { flash, at: app.now().getTime() });
}

export function takeFlash(app: App, sessionId: string): Flash | undefined {
  const store = app.runtime.flashes;
  const e = store.get(sessionId);
  if (!e) return undefined;
  store.delete(sessionId);
  return app.now().getTime() - e.at > TTL_MS ? undefined : e.flash;
}
