// Personal API tokens (capstan_pat_...): act with their owner's role; raw value shown once.
import type { Actor, AdminIdentity, App } from "../context.js";
import { getApiToken, insertApiToken, listApiTokens, revokeApiToken, type ApiTokenWithUser } from "../db/apiTokens.js";
import { getUser } from "../db/users.js";
import { AppError } from "../errors.js";
import { newId, newSecret, sha256Hex } from "../ids.js";
import type { ApiTokenScope } from "../vocabulary.js";
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
  scopes: t.scopes,
});

export async function createApiToken(
  app: App, actor: Actor, userId: string, input: { name: string; expiresInSeconds?: number | undefined; scopes?: ApiTokenScope[] | undefined }, requestId?: string,
) {
  const user = await getUser(app.db, userId);
  if (!user) throw new AppError("USER_NOT_FOUND", "no such user");
  const now = app.now();
  const rawToken = newSecret("capstan_pat_");
  const id = newId("apt", now.getTime());
  const scopes = input.scopes ?? ["admin"];
  const expiresAt = input.expiresInSeconds ? new Date(now.getTime() + input.expiresInSeconds * 1000).toISOString() : null;
  await app.db.transaction(async () => {
    await insertApiToken(app.db, { id, userId, name: input.name, tokenHash: sha256Hex(rawToken), createdAt: now.toISOString(), expiresAt, scopes });
    await writeAudit(app, { actor, action: "api_token.created", target: { type: "ApiToken", id }, metadata: { name: input.name, userId, scopes }, requestId });
  });
  return { id, name: input.name, rawToken, createdAt: now.toISOString(), expiresAt, scopes };
}

/** The caller's tokens; an owner sees everyone's. */
export async function listVisibleApiTokens(app: App, who: AdminIdentity) {
  const now = app.now();
  return (await listApiTokens(app.db, who.role === "owner" ? null : who.userId)).map((t) => apiTokenToWire(t, now));
}

/** Anyone may revoke their own token; only an owner may revoke another user's. Unknown and foreign look alike (404). */
export async function revokeVisibleApiToken(app: App, who: AdminIdentity, id: string, requestId?: string): Promise<void> {
  await app.db.transaction(async () => {
    const t = await getApiToken(app.db, id);
    if (!t || (t.userId !== who.userId && who.role !== "owner")) throw new AppError("API_TOKEN_NOT_FOUND", "no such API token");
    await revokeApiToken(app.db, id, app.now().toISOString());
    await writeAudit(app, { actor: { type: "USER", id: who.userId }, action: "api_token.revoked", target: { type: "ApiToken", id }, metadata: { name: t.name, userId: t.userId }, requestId });
  });
}
