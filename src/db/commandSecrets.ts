// command_secrets: sealed one-time secrets of a command (SecretBox envelopes only, never plaintext).
// `secrets` rows live from creation to the claim that takes them; `generatedKey` rows from the result
// to the one read that takes them (or the maintenance sweep). Taking is one DELETE … RETURNING, so of
// two nodes racing for a row exactly one gets it.
import type { CommandSecretKind } from "../vocabulary.js";
import type { Db } from "./open.js";

export interface NewCommandSecret {
  commandId: string;
  kind: CommandSecretKind;
  envelope: string;
  /** generatedKey only: the user who may read it besides owners (null: owners only). */
  readerUserId: string | null;
  createdAt: string;
}

const sql = {
  // one sealed secret per command and kind
  insert: `INSERT INTO command_secrets (command_id, kind, envelope, reader_user_id, created_at) VALUES (?, ?, ?, ?, ?)`,
  // take (remove and return) a command's row of one kind
  take: `DELETE FROM command_secrets WHERE command_id = ? AND kind = ? RETURNING envelope`,
  // take a generatedKey for a reader: not older than the cutoff, and the reader is an owner (1) or ran the command
  takeKeyFor: `DELETE FROM command_secrets WHERE command_id = ? AND kind = 'generatedKey' AND created_at > ?
                 AND (? = 1 OR reader_user_id = ?) RETURNING envelope`,
  // drop a command's row of one kind (terminal transitions of commands whose secrets were never taken)
  drop: `DELETE FROM command_secrets WHERE command_id = ? AND kind = ?`,
  peek: `SELECT envelope FROM command_secrets WHERE command_id = ? AND kind = ?`,
  // generatedKey rows at or before the cutoff, oldest first, bounded batch
  sweepOld: `DELETE FROM command_secrets WHERE kind = 'generatedKey' AND command_id IN (
               SELECT command_id FROM command_secrets WHERE kind = 'generatedKey' AND created_at <= ?
               ORDER BY created_at, command_id LIMIT ?)`,
  // generatedKey rows beyond the newest `max` (oldest dropped first), bounded batch
  sweepOverCap: `DELETE FROM command_secrets WHERE kind = 'generatedKey' AND command_id IN (
                   SELECT command_id FROM command_secrets WHERE kind = 'generatedKey'
                   ORDER BY created_at DESC, command_id DESC LIMIT ? OFFSET ?)`,
  // how many rows of a kind are stored (tests, diagnostics)
  count: `SELECT COUNT(*) AS n FROM command_secrets WHERE kind = ?`,
  // whether a command has a row of a kind (tests, diagnostics)
  exists: `SELECT 1 AS found FROM command_secrets WHERE command_id = ? AND kind = ?`,
};

export async function insertCommandSecret(db: Db, s: NewCommandSecret): Promise<void> {
  await db.run(sql.insert, [s.commandId, s.kind, s.envelope, s.readerUserId, s.createdAt]);
}

/** The envelope, removed as it is returned; undefined when there is none. */
export async function takeCommandSecret(db: Db, commandId: string, kind: CommandSecretKind): Promise<string | undefined> {
  return (await db.get<{ envelope: string }>(sql.take, [commandId, kind]))?.envelope;
}

/**
 * The generatedKey envelope, removed as it is returned, when it was stored after `notBeforeIso` and the
 * reader may see it (`isOwner`, or `userId` ran the command). Anyone else leaves it for the right reader.
 */
export async function takeGeneratedKeyFor(
  db: Db, commandId: string, notBeforeIso: string, reader: { userId: string; isOwner: boolean },
): Promise<string | undefined> {
  return (await db.get<{ envelope: string }>(sql.takeKeyFor, [commandId, notBeforeIso, reader.isOwner, reader.userId]))?.envelope;
}

/** The envelope, left in place (a leased delivery keeps it until the agent confirms). */
export async function peekCommandSecret(db: Db, commandId: string, kind: CommandSecretKind): Promise<string | undefined> {
  return (await db.get<{ envelope: string }>(sql.peek, [commandId, kind]))?.envelope;
}

export async function dropCommandSecret(db: Db, commandId: string, kind: CommandSecretKind): Promise<void> {
  await db.run(sql.drop, [commandId, kind]);
}

/** Deletes up to `limit` generatedKey rows stored at or before the cutoff; returns how many. */
export const deleteGeneratedKeysBefore = async (db: Db, cutoffIso: string, limit: number): Promise<number> =>
  (await db.run(sql.sweepOld, [cutoffIso, limit])).changes;

/** Deletes up to `limit` of the generatedKey rows beyond the newest `max`; returns how many. */
export const deleteGeneratedKeysOverCap = async (db: Db, max: number, limit: number): Promise<number> =>
  (await db.run(sql.sweepOverCap, [limit, max])).changes;

export const countCommandSecrets = async (db: Db, kind: CommandSecretKind): Promise<number> =>
  (await db.get<{ n: number }>(sql.count, [kind]))!.n;

export const hasCommandSecret = async (db: Db, commandId: string, kind: CommandSecretKind): Promise<boolean> =>
  Boolean(await db.get(sql.exists, [commandId, kind]));
