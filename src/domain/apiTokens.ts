// Personal API tokens (capstan_pat_...): act with their owner's role; raw value shown once.
import type { Actor, AdminIdentity, App } from "../context.js";
import { getApiToken, insertApiToken, listApiTokens, revokeApiToken, type ApiTokenWithUser } from "../db/apiTokens.js";
import { getUser } from "../db/users.js";
import { AppError } from "../errors.js";
import { newId, newSecret, sha256Hex } from "../ids.js";
import { writeAudit } from "./audit.js";

export const apiTokenToWire = (t: ApiTokenWithUser, now: Date) => ({
  id: t.id,
  name: t.name,
  userId: t.userId,
  username: t.username,
  status: t.revokedAt ? "REVOKED" : t.expiresAt && t.expiresAt <= now.toISOString() ? "EXPIRED" : "ACTIVE",
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
  lastUsedAt: t.lastUsedAt,
  revokedAt: t.revokedAt,
});

export function createApiToken(
  app: App, actor: Actor, userId: string, input: { name: string; expiresInSeconds?: number | undefined }, requestId?: string,
) {
  const user = getUser(app.db, userId);
  if (!user) throw new AppError("USER_NOT_FOUND", "no such user");
  const now = app.now();
  const rawToken = newSecret("capstan_pat_");
  const id = newId("apt", now.getTime());
  const expiresAt = input.expiresInSeconds ? new Date(now.getTime() + input.expiresInSeconds * 1000).toISOString() : null;
  app.db.transaction(() => {
    insertApiToken(app.db, { id, userId, name: input.name, tokenHash: sha256Hex(rawToken), createdAt: now.toISOString(), expiresAt });
    writeAudit(app, { actor, action: "api_token.created", target: { type: "ApiToken", id }, metadata: { name: input.name, userId }, requestId });
  })();
  return { id, name: input.name, rawToken, createdAt: now.toISOString(), expiresAt };
}

/** The caller's tokens; an owner sees everyone's. */
export function listVisibleApiTokens(app: App, who: AdminIdentity) {
  const now = app.now();
  return listApiTokens(app.db, who.role === "owner" ? null : who.userId).map((t) => apiTokenToWire(t, now));
}

/** Anyone may revoke their own token; only an owner may revoke another user's. Unknown and foreign look alike (404). */
export function revokeVisibleApiToken(app: App, who: AdminIdentity, id: string, requestId?: string): void {
  app.db.transaction(() => {
    const t = getApiToken(app.db, id);
    if (!t || (t.userId !== who.userId && who.role !== "owner")) throw new AppError("API_TOKEN_NOT_FOUND", "no such API token");
    revokeApiToken(app.db, id, app.now().toISOString());
    writeAudit(app, { actor: { type: "USER", id: who.userId }, action: "api_token.revoked", target: { type: "ApiToken", id }, metadata: { name: t.name, userId: t.userId }, requestId });
  })();
}
