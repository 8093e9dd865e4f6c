// Sessions: login with throttling, logout, CSRF rotation. Raw session ids live only in the cookie.
import type { AdminIdentity, App } from "../context.js";
import { csrfTokenFor } from "../auth/identify.js";
import { dummyPasswordHash, hashPassword, isBcryptHash, verifyPassword } from "../auth/passwords.js";
import { reserveLogin, settleLogin } from "../auth/throttle.js";
import { bumpSessionCsrf, deleteSession, insertSession } from "../db/sessions.js";
import { getUserByUsername, touchUserLogin, upgradePasswordHash, type UserRow } from "../db/users.js";
import { AppError } from "../errors.js";
import { newId, newSecret, sha256Hex } from "../ids.js";
import { writeAudit } from "./audit.js";

export interface LoginResult {
  user: UserRow;
  rawSessionId: string;
  csrfToken: string;
  expiresAt: string;
}

export async function login(
  app: App, input: { username: string; password: string; ip: string; userAgent?: string | undefined; requestId?: string },
): Promise<LoginResult> {
  // the attempt is reserved before the password is hashed, so parallel guesses cannot all get past the
  // check; the reservation is in the database, so guesses split over nodes cannot either
  const wait = await reserveLogin(app, input.username, input.ip);
  if (wait > 0) {
    app.runtime.authFailures.record("login", input.ip, true);
    throw new AppError("RATE_LIMITED", `too many failed logins; try again in ${wait} s`, { retryAfterSeconds: wait }, { "Retry-After": String(wait) });
  }
  let user: UserRow | undefined;
  let succeeded = false;
  try {
    user = await getUserByUsername(app.db, input.username);
    app.runtime.counters.loginPasswordChecks++;
    // verify against a dummy hash for unknown users so response time does not reveal which part was wrong
    const valid = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), input.password);
    succeeded = Boolean(user && valid && user.status === "ACTIVE");
  } finally {
    await settleLogin(app, input.username, input.ip, succeeded);
  }
  if (!user || !succeeded) {
    // every failure is counted; per IP only the first few a minute get their own audit row (auth/failures.ts)
    const sample = app.runtime.authFailures.record("login", input.ip);
    if (sample.audit) {
      await app.db.transaction(async () => {
        await writeAudit(app, {
          actor: { type: "USER", id: user?.id ?? null }, action: "session.login.failed", result: "FAILURE",
          target: { type: "User", id: user?.id ?? null },
          metadata: {
            username: input.username.slice(0, 320), ip: input.ip, errorCode: "LOGIN_FAILED",
            ...(sample.suppressed ? { suppressed: sample.suppressed } : {}),
          },
          requestId: input.requestId,
        });
      });
    }
    throw new AppError("LOGIN_FAILED", "username or password is wrong");
  }
  // An imported Opstage user's bcrypt hash is replaced by argon2id now that the password is known;
  // hashed before the transaction (slow work stays outside it), stored in it.
  const rehash = isBcryptHash(user.passwordHash) ? await hashPassword(input.password) : undefined;
  const now = app.now();
  const rawSessionId = newSecret("");
  const expiresAt = new Date(now.getTime() + app.config.sessionTtlSeconds * 1000).toISOString();
  await app.db.transaction(async () => {
    const id = newId("ses");
    await insertSession(app.db, {
      id, tokenHash: sha256Hex(rawSessionId), userId: user.id, ip: input.ip, userAgent: input.userAgent?.slice(0, 300) ?? null,
      createdAt: now.toISOString(), lastSeenAt: now.toISOString(), expiresAt,
    });
    await touchUserLogin(app.db, user.id, now.toISOString());
    if (rehash && await upgradePasswordHash(app.db, user.id, user.passwordHash, rehash)) {
      await writeAudit(app, { actor: { type: "USER", id: user.id }, action: "user.password.rehashed", target: { type: "User", id: user.id }, metadata: { from: "bcrypt", to: "argon2id" }, requestId: input.requestId });
    }
    await writeAudit(app, { actor: { type: "USER", id: user.id }, action: "session.login.succeeded", target: { type: "User", id: user.id }, metadata: { ip: input.ip }, requestId: input.requestId });
  });
  return { user, rawSessionId, csrfToken: csrfTokenFor(rawSessionId, 1), expiresAt };
}

export async function logout(app: App, who: AdminIdentity, requestId?: string): Promise<void> {
  if (!who.sessionId) return;
  await app.db.transaction(async () => {
    await deleteSession(app.db, who.sessionId!);
    await writeAudit(app, { actor: { type: "USER", id: who.userId }, action: "session.logout", target: { type: "User", id: who.userId }, requestId });
  });
}

/** Rotates the session's CSRF token; the old one stops validating. Needs the raw cookie to derive the new one. */
export async function rotateCsrf(app: App, who: AdminIdentity, rawSessionId: string, requestId?: string): Promise<string> {
  if (!who.sessionId || who.csrfVersion === undefined) throw new AppError("REQUEST_ERROR", "CSRF tokens belong to cookie sessions; API tokens need none");
  const version = who.csrfVersion;
  await app.db.transaction(async () => {
    await bumpSessionCsrf(app.db, who.sessionId!);
    await writeAudit(app, { actor: { type: "USER", id: who.userId }, action: "session.csrf.refreshed", target: { type: "User", id: who.userId }, requestId });
  });
  return csrfTokenFor(rawSessionId, version + 1);
}
