// System health and version: a cheap DB probe, uptime, build facts.
import type { App } from "../context.js";
import { ping } from "../db/file.js";
import { appliedSchemaVersion, codeSchemaVersionOf } from "../db/facts.js";
import type { SystemHealthStatus } from "../vocabulary.js";

export async function systemHealth(app: App) {
  const t0 = performance.now();
  let dbStatus: SystemHealthStatus = "UP";
  try {
    await ping(app.db);
  } catch {
    dbStatus = "DOWN";
  }
  const latencyMs = Math.round(performance.now() - t0);
  if (dbStatus === "UP" && latencyMs > 250) dbStatus = "DEGRADED";
  const now = app.now();
  return {
    status: dbStatus,
    timestamp: now.toISOString(),
    version: app.version,
    edition: "ce" as const,
    database: { status: dbStatus, kind: app.db.kind, latencyMs },
    uptimeSeconds: Math.max(0, Math.floor((now.getTime() - app.runtime.startedAt.getTime()) / 1000)),
  };
}

export const systemVersion = (app: App) => ({ version: app.version, edition: "ce" as const, schemaVersion: codeSchemaVersionOf(app.db.kind) });

export async function isReady(app: App): Promise<boolean> {
  try {
    return (await appliedSchemaVersion(app.db)) === codeSchemaVersionOf(app.db.kind);
  } catch {
    return false;
  }
}
