// One-time secrets of a command, sealed at rest (app.secretBox, AES-256-GCM) in command_secrets so any
// node can hand them out: the secret payload fields until the agent's claim takes them, and the
// generatedKey of a result until the one person allowed to see it reads the command. Only envelopes
// reach the table (and so the WAL, backups and dumps); plaintext and envelopes never reach logs or audit.
// generatedKeys are bounded three ways: per key (bytes, checked by result.ts), in time (15 minutes
// after the result) and in count (1,000; the maintenance sweep drops the oldest).
import type { Role } from "../../auth/roles.js";
import type { App } from "../../context.js";
import {
  deleteGeneratedKeysBefore, deleteGeneratedKeysOverCap, insertCommandSecret, peekCommandSecret, takeCommandSecret, takeGeneratedKeyFor,
} from "../../db/commandSecrets.js";
import { commandAad, SecretBoxError, type SecretBoxFailure } from "../../secrets/secretBox.js";

export const GENERATED_KEY_MAX_BYTES = 4096;
export const GENERATED_KEYS_MAX = 1000;
export const GENERATED_KEY_TTL_MS = 15 * 60_000;

/** Who reads a command detail. */
export interface KeyReader {
  userId: string;
  role: Role;
}

/** Seals and stores a command's secret payload fields. Call inside the transaction that creates the command. */
export async function storeSecrets(app: App, commandId: string, secrets: Record<string, unknown>, createdAt: string): Promise<void> {
  const envelope = app.secretBox.seal(JSON.stringify(secrets), commandAad(commandId, "secrets"));
  await insertCommandSecret(app.db, { commandId, kind: "secrets", envelope, readerUserId: null, createdAt });
}

export type TakenSecrets =
  | { ok: true; secrets: Record<string, unknown> }
  | { ok: false; reason: "missing" | SecretBoxFailure; detail: string };

/**
 * Removes and opens a command's secret payload fields. Call inside the claim transaction: the row is
 * deleted there, so only the node whose claim commits ever holds the plaintext.
 */
export const takeSecrets = (app: App, commandId: string): Promise<TakenSecrets> => openSecrets(app, commandId, takeCommandSecret);

/**
 * As takeSecrets, but the sealed row stays: a leased claim (domain/commands/delivery.ts) may have to
 * send the command again; the agent's confirmation, or the command's end, drops it.
 */
export const peekSecrets = (app: App, commandId: string): Promise<TakenSecrets> => openSecrets(app, commandId, peekCommandSecret);

async function openSecrets(app: App, commandId: string, read: typeof takeCommandSecret): Promise<TakenSecrets> {
  const envelope = await read(app.db, commandId, "secrets");
  if (envelope === undefined) return { ok: false, reason: "missing", detail: "no sealed secret payload is stored for the command" };
  const opened = openEnvelope(app, envelope, commandAad(commandId, "secrets"));
  if (!opened.ok) return opened;
  const secrets: unknown = JSON.parse(opened.plaintext);
  // authenticated, so always what storeSecrets sealed; a non-object would be a bug, not an attack
  if (!secrets || typeof secrets !== "object" || Array.isArray(secrets)) return { ok: false, reason: "malformed", detail: "sealed secret payload is not an object" };
  return { ok: true, secrets: secrets as Record<string, unknown> };
}

/** Seals and stores a result's generatedKey for its reader. Call inside the result transaction. */
export async function storeGeneratedKey(app: App, commandId: string, value: string, readerUserId: string | null, createdAt: string): Promise<void> {
  const envelope = app.secretBox.seal(value, commandAad(commandId, "generatedKey"));
  await insertCommandSecret(app.db, { commandId, kind: "generatedKey", envelope, readerUserId, createdAt });
}

/**
 * The generatedKey, removed as it is handed out, when `reader` may see it (the user who ran the command,
 * or an owner) and it arrived less than 15 minutes ago. Anyone else gets undefined and the key stays
 * for the right reader. A key that no longer opens (another secret key) is gone, never shown.
 */
export async function revealGeneratedKey(app: App, commandId: string, reader: KeyReader): Promise<string | undefined> {
  const notBefore = new Date(app.now().getTime() - GENERATED_KEY_TTL_MS).toISOString();
  const envelope = await takeGeneratedKeyFor(app.db, commandId, notBefore, { userId: reader.userId, isOwner: reader.role === "owner" });
  if (envelope === undefined) return undefined;
  const opened = openEnvelope(app, envelope, commandAad(commandId, "generatedKey"));
  if (opened.ok) return opened.plaintext;
  app.log.warn("generatedKey could not be opened and is discarded", { commandId, reason: opened.reason, detail: opened.detail });
  return undefined;
}

/** Maintenance: deletes up to `limit` generatedKeys older than 15 minutes. */
export const sweepExpiredGeneratedKeys = (app: App, limit: number): Promise<number> =>
  deleteGeneratedKeysBefore(app.db, new Date(app.now().getTime() - GENERATED_KEY_TTL_MS).toISOString(), limit);

/** Maintenance: deletes up to `limit` of the oldest generatedKeys beyond the newest 1,000. */
export const sweepGeneratedKeysOverCap = (app: App, limit: number): Promise<number> => deleteGeneratedKeysOverCap(app.db, GENERATED_KEYS_MAX, limit);

function openEnvelope(app: App, envelope: string, aad: string): { ok: true; plaintext: string } | { ok: false; reason: SecretBoxFailure; detail: string } {
  try {
    return { ok: true, plaintext: app.secretBox.open(envelope, aad) };
  } catch (err) {
    // SecretBoxError messages name key ids and reasons only, never key material or plaintext
    if (err instanceof SecretBoxError) return { ok: false, reason: err.reason, detail: err.message };
    throw err;
  }
}
