// Users: create, update with last-owner protection, reset passwords, first-start bootstrap.
import type { Role } from "../auth/roles.js";
import type { Actor, App } from "../context.js";
import { hashPassword } from "../auth/passwords.js";
import { revokeApiTokensForUser } from "../db/apiTokens.js";
import { deleteSessionsForUser } from "../db/sessions.js";
import type { SortKey } from "../db/query.js";
import {
  countActiveOwners, countUsers, getUser, getUserByUsername, insertUser, listUsers, setUserPassword, updateUser, type UserFilter, type UserRow,
} from "../db/users.js";
import { AppError } from "../errors.js";
import type { Pagination } from "../http/reply.js";
import { newId, newSecret } from "../ids.js";
import type { UserStatus } from "../vocabulary.js";
import { writeAudit } from "./audit.js";

export const userToWire = (u: UserRow) => ({
  id: u.id, username: u.username, displayName: u.displayName, role: u.role, status: u.status,
  lastLoginAt: u.lastLoginAt, createdAt: u.createdAt, updatedAt: u.updatedAt,
});

export type UserWire = ReturnType<typeof userToWire>;

export const findUser = async (app: App, id: string): Promise<UserRow | undefined> => await getUser(app.db, id);

export async function requireUser(app: App, id: string): Promise<UserRow> {
  const u = await getUser(app.db, id);
  if (!u) throw new AppError("USER_NOT_FOUND", "no such user");
  return u;
}

export async function listUsersPage(app: App, f: UserFilter, sort: SortKey[], page: number, pageSize: number): Promise<{ rows: UserWire[]; pagination: Pagination }> {
  const { rows, total } = await listUsers(app.db, f, sort, page, pageSize);
  return { rows: rows.map(userToWire), pagination: { page, pageSize, total } };
}

export async function createUser(
  app: App, actor: Actor, input: { username: string; password: string; displayName?: string | undefined; role: Role }, requestId?: string,
): Promise<UserRow> {
  const passwordHash = await hashPassword(input.password); // outside the transaction: no await inside one
  const nowIso = app.now().toISOString();
  const user: UserRow = {
    id: newId("usr"), username: input.username, displayName: input.displayName ?? null, role: input.role, status: "ACTIVE",
    passwordHash, lastLoginAt: null, createdAt: nowIso, updatedAt: nowIso,
  };
  await app.db.transaction(async () => {
    if (await getUserByUsername(app.db, input.username)) throw new AppError("USER_ALREADY_EXISTS", "a user with this username already exists");
    await insertUser(app.db, user);
    await writeAudit(app, { actor, action: "user.created", target: { type: "User", id: user.id }, metadata: { username: user.username, role: user.role }, requestId });
  });
  return user;
}

export async function changeUser(
  app: App, actor: Actor, id: string,
  patch: { displayName?: string | null | undefined; role?: Role | undefined; status?: UserStatus | undefined },
  requestId?: string,
): Promise<UserRow> {
  return await app.db.transaction(async () => {
    const u = await getUser(app.db, id);
    if (!u) throw new AppError("USER_NOT_FOUND", "no such user");
    const next = {
      displayName: patch.displayName === undefined ? u.displayName : patch.displayName,
      role: patch.role ?? u.role,
      status: patch.status ?? u.status,
    };
    const losesOwner = u.role === "owner" && u.status === "ACTIVE" && (next.role !== "owner" || next.status !== "ACTIVE");
    if (losesOwner && await countActiveOwners(app.db) <= 1) throw new AppError("LAST_OWNER_REQUIRED", "this is the last active owner; promote another owner first");
    const nowIso = app.now().toISOString();
    await updateUser(app.db, id, next, nowIso);
    const ended = next.status === "DISABLED" && u.status !== "DISABLED" ? await endCredentials(app, actor, id, "user.disabled", requestId) : undefined;
    await writeAudit(app, {
      actor, action: "user.updated", target: { type: "User", id },
      metadata: { before: { role: u.role, status: u.status }, after: { role: next.role, status: next.status }, ...ended }, requestId,
    });
    return (await getUser(app.db, id))!;
  });
}

export async function resetPassword(app: App, actor: Actor, id: string, password: string, requestId?: string): Promise<UserRow> {
  const hash = await hashPassword(password);
  return await app.db.transaction(async () => {
    const u = await getUser(app.db, id);
    if (!u) throw new AppError("USER_NOT_FOUND", "no such user");
    await setUserPassword(app.db, id, hash, app.now().toISOString());
    const ended = await endCredentials(app, actor, id, "user.password.reset", requestId);
    await writeAudit(app, { actor, action: "user.password.reset", target: { type: "User", id }, metadata: ended, requestId });
    return (await getUser(app.db, id))!;
  });
}

/**
 * Credentials follow the user: a password reset or a disable ends every session and revokes every API
 * token (each audited as api_token.revoked); re-enabling the user later brings none of them back.
 * Call inside the change's transaction.
 */
async function endCredentials(app: App, actor: Actor, userId: string, reason: string, requestId?: string) {
  const endedSessions = await deleteSessionsForUser(app.db, userId);
  const tokens = await revokeApiTokensForUser(app.db, userId, app.now().toISOString());
  for (const t of tokens) {
    await writeAudit(app, { actor, action: "api_token.revoked", target: { type: "ApiToken", id: t.id }, metadata: { name: t.name, userId, reason }, requestId });
  }
  return { endedSessions, revokedApiTokens: tokens.length };
}

/**
 * First start with an empty database: create the owner from env or with a random password that the
 * caller prints once. Later starts do nothing. Returns the generated password, if any.
 */
export async function bootstrapOwner(app: App, env: { username?: string | undefined; password?: string | undefined }): Promise<{ username: string; generatedPassword?: string } | undefined> {
  if (await countUsers(app.db) > 0) return undefined;
  const username = env.username ?? "admin";
  const generated = env.password ? undefined : newSecret("").slice(-24);
  const password = env.password ?? generated!;
  const system: Actor = { type: "SYSTEM", id: null };
  try {
    await createUser(app, system, { username, password, displayName: "Owner", role: "owner" });
  } catch (err) {
    // Several nodes starting at once on one empty PostgreSQL database: each saw no user, one created
    // the owner first and the others failed (USER_ALREADY_EXISTS, or the engine's unique violation when
    // both inserts raced). A user exists now: nothing to bootstrap here.
    if (await countUsers(app.db) > 0) return undefined;
    throw err;
  }
  await app.db.transaction(async () => {
    await writeAudit(app, { actor: system, action: "system.bootstrap.completed", target: { type: "Workspace", id: null }, metadata: { username } });
  });
  return generated ? { username, generatedPassword: generated } : { username };
}
