// Formatting for view models: templates receive ready strings (relative + exact times, durations,
// badge tones) and never format anything themselves.
export type Tone = "positive" | "warning" | "negative" | "neutral" | "info";

const TONES: Record<string, Tone> = {
  ONLINE: "positive", HEALTHY: "positive", UP: "positive", SUCCEEDED: "positive", SUCCESS: "positive", ACTIVE: "positive",
  STALE: "warning", DEGRADED: "warning", AWAITING_APPROVAL: "warning", APPROVED: "positive", REJECTED: "negative", PENDING: "info", RUNNING: "info", USED: "neutral", EXPIRED: "neutral", CANCELLED: "neutral",
  OFFLINE: "negative", UNHEALTHY: "negative", DOWN: "negative", FAILED: "negative", FAILURE: "negative", DISABLED: "negative", REVOKED: "negative",
  LOW: "neutral", MEDIUM: "info", HIGH: "warning", CRITICAL: "negative",
  DELIVERED: "positive", FAILING: "warning",
  // packages (catalog.md): a quarantined service and the flags of its package version
  QUARANTINED: "negative", NOT_APPROVED: "warning", NOT_IN_CATALOG: "neutral", DRIFT: "warning", INCOMPATIBLE: "negative", DEPRECATED: "warning", YANKED: "negative",
};

export interface Badge {
  text: string;
  tone: Tone;
}

/** A status badge: the text always says the status, the tone only reinforces it. */
export const badge = (status: string | null | undefined): Badge => ({ text: status ?? "UNKNOWN", tone: status && Object.hasOwn(TONES, status) ? TONES[status]! : "neutral" });

export interface When {
  rel: string;
  exact: string;
  iso: string;
}

export function when(iso: string | null | undefined, now: Date): When | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  const diff = Math.round((now.getTime() - t) / 1000);
  const abs = Math.abs(diff);
  const span = abs < 5 ? "just now" : humanSeconds(abs);
  const rel = abs < 5 ? span : diff >= 0 ? `${span} ago` : `in ${span}`;
  return { rel, exact: new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC"), iso: new Date(t).toISOString() };
}

function humanSeconds(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** "1.2 s", "3 min 4 s", "2 h 5 min"; null when either end is missing. */
export function elapsedBetween(fromIso: string | null | undefined, toIso: string | null | undefined): string | null {
  if (!fromIso || !toIso) return null;
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  if (!Number.isFinite(ms) || ms < 0) return null;
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Pretty JSON for <pre> blocks (escaped by the template like any other text). */
export const prettyJson = (v: unknown): string => {
  try {
    return JSON.stringify(v ?? null, null, 2) ?? "null";
  } catch {
    return String(v);
  }
};

/** Display form of any scalar reported by an agent. */
export const cell = (v: unknown): string => (v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
