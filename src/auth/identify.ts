// Resolves who is calling, driven by the route table's auth kind. Called by app.ts before a handler.
import type { AdminIdentity, AgentIdentity, App, Ctx } from "../context.js";
import { roleAtLeast, type Role } from "./roles.js";
import { findAgentToken, type AgentTokenLookup } from "../db/agentTokens.js";
import { getApiTokenByHash, touchApiToken } from "../db/apiTokens.js";
import { getSessionByHash, touchSession } from "../db/sessions.js";
import { AppError } from "../errors.js";
import { readThrough } from "../readCache.js";
import { hmacHex, safeEqual, sha256Hex } from "../ids.js";
import type { ApiTokenScope } from "../vocabulary.js";

export const SESSION_COOKIE = "capstan_session";
const TOUCH_EVERY_MS = 60_000;

export function bearerToken(ctx: Ctx<unknown>): string | undefined {
  const h = ctx.req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

/** The CSRF token of a session: derived from the raw session id, so it is never stored. */
export const csrfTokenFor = (rawSessionId: string, version: number): string => hmacHex(rawSessionId, `csrf:${version}`).slice(0, 43);

export async function identifyAdmin(ctx: Ctx<unknown>): Promise<AdminIdentity | undefined> {
  const { db, now } = ctx.app;
  const nowDate = now();
  const nowIso = nowDate.toISOString();
  const bearer = bearerToken(ctx);
  if (bearer) {
    if (!bearer.startsWith("capstan_pat_")) throw new AppError("UNAUTHORIZED", "agent tokens are not accepted on the admin API");
    const t = await getApiTokenByHash(db, sha256Hex(bearer));
    if (!t || t.revokedAt || (t.expiresAt && t.expiresAt <= nowIso) || t.userStatus !== "ACTIVE") {
      throw new AppError("UNAUTHORIZED", "API token is invalid, expired or revoked");
    }
    if (!t.lastUsedAt || nowDate.getTime() - Date.parse(t.lastUsedAt) > TOUCH_EVERY_MS) await touchApiToken(db, t.id, nowIso);
    return { userId: t.userId, username: t.username, role: t.role, via: "apiToken", scopes: t.scopes };
  }
  const raw = ctx.cookies[SESSION_COOKIE];
  if (!raw) return undefined;
  const s = await getSessionByHash(db, sha256Hex(raw));
  if (!s || s.userStatus !== "ACTIVE") return undefined;
  if (s.expiresAt <= nowIso) return undefined;
  if (nowDate.getTime() - Date.parse(s.lastSeenAt) > TOUCH_EVERY_MS) await touchSession(db, s.id, nowIso);
  return {
    userId: s.userId, username: s.username, role: s.role, via: "session", sessionId: s.id,
    csrfToken: csrfTokenFor(raw, s.csrfVersion), csrfVersion: s.csrfVersion, sessionExpiresAt: s.expiresAt,
  };
}

/** Admin API and pages: identity + role + (for cookie sessions on state changes) CSRF. */
export async function requireAdmin(ctx: Ctx<unknown>, min: Role, scope: ApiTokenScope = "admin"): Promise<AdminIdentity> {
  const who = await identifyAdmin(ctx);
  if (!who) throw new AppError("UNAUTHORIZED", "log in or send an API token");
  // a token reaches a route only if it carries the route's scope; an admin token also reaches messages routes
  if (who.via === "apiToken" && !(who.scopes ?? ["admin"]).includes(scope) && !(scope === "messages" && who.scopes?.includes("admin"))) {
    throw new AppError("TOKEN_SCOPE_FORBIDDEN", `this API token lacks the ${scope} scope`, { scopes: who.scopes ?? [], required: scope });
  }
  if (!roleAtLeast(who.role, min)) throw new AppError("FORBIDDEN", `requires the ${min} role`);
  return who;
}

export function checkCsrf(who: AdminIdentity, supplied: string | undefined): void {
  if (who.via !== "session") return; // bearer API tokens carry no ambient credential
  if (!supplied || !who.csrfToken || !safeEqual(supplied, who.csrfToken)) {
    throw new AppError("CSRF_INVALID", "missing or wrong CSRF token; reload the page and try again");
  }
}

/** The token's row and its agent's status: from this node's cache (readCache.ts) or the database. */
const lookUpAgentToken = (app: App, hash: string): Promise<AgentTokenLookup | undefined> =>
  readThrough(app.runtime.agentTokens, hash, app.now().getTime(), () => findAgentToken(app.db, hash), (t) => t.agentId);

/** Agent API: token known -> active -> agent usable -> path agentId is the token's agent. */
export async function requireAgent(ctx: Ctx<unknown>, params: Record<string, string>): Promise<AgentIdentity> {
  const bearer = bearerToken(ctx);
  if (!bearer || bearer.startsWith("capstan_pat_")) throw new AppError("AGENT_TOKEN_INVALID", "send the agent token as Authorization: Bearer");
  const t = await lookUpAgentToken(ctx.app, sha256Hex(bearer));
  if (!t) throw new AppError("AGENT_TOKEN_INVALID", "agent token is not known");
  if (t.tokenStatus !== "ACTIVE") throw new AppError("AGENT_TOKEN_REVOKED", "agent token was revoked; re-register the agent");
  if (t.agentStatus === "REVOKED") throw new AppError("AGENT_REVOKED", "agent is revoked");
  if (t.agentStatus === "DISABLED") throw new AppError("AGENT_DISABLED", "agent is disabled by an operator");
  if (params.agentId !== undefined && params.agentId !== t.agentId) throw new AppError("AGENT_ID_MISMATCH", "path agentId does not match the token");
  return { agentId: t.agentId, agentCode: t.agentCode, tokenId: t.tokenId, agentStatus: t.agentStatus };
}

