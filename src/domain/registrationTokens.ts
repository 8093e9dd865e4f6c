// Registration tokens: created by operators (raw value shown once), revoked, expired by maintenance.
import type { Actor, App } from "../context.js";
import {
  deleteSpentRegistrationToken, expireRegistrationToken, getRegistrationToken, insertRegistrationToken, listExpiredActiveTokens, listRegistrationTokens,
  revokeRegistrationToken, type RegistrationTokenFilter, type RegistrationTokenRow, type TokenStatus,
} from "../db/registrationTokens.js";
import type { SortKey } from "../db/query.js";
import { AppError } from "../errors.js";
import type { Pagination } from "../http/reply.js";
import { newId, newSecret, sha256Hex } from "../ids.js";
import type { CreateRegistrationTokenInput } from "../schemas/registrationTokens.js";
import { writeAudit } from "./audit.js";

/** ACTIVE past its expiry reads as EXPIRED even before the sweep writes it. */
export function effectiveTokenStatus(app: Pick<App, "now">, t: RegistrationTokenRow): TokenStatus {
  return t.status === "ACTIVE" && t.expiresAt !== null && t.expiresAt <= app.now().toISOString() ? "EXPIRED" : t.status;
}

export function registrationTokenToWire(app: Pick<App, "now">, t: RegistrationTokenRow) {
  return {
    id: t.id, name: t.name, status: effectiveTokenStatus(app, t), expiresAt: t.expiresAt, usedAt: t.usedAt, createdAt: t.createdAt,
    maxUses: t.maxUses, useCount: t.useCount, agentCode: t.agentCode,
  };
}
export type RegistrationTokenWire = ReturnType<typeof registrationTokenToWire>;

export async function createRegistrationToken(
  app: App, actor: Actor, input: CreateRegistrationTokenInput, requestId?: string,
): Promise<RegistrationTokenWire & { rawToken: string }> {
  const now = app.now();
  const nowIso = now.toISOString();
  const rawToken = newSecret("opstage_reg_");
  const row: RegistrationTokenRow = {
    id: newId("tok", now.getTime()), name: input.name, status: "ACTIVE", maxUses: input.maxUses, useCount: 0,
    agentCode: input.agentCode ?? null,
    expiresAt: input.expiresInSeconds === undefined ? null : new Date(now.getTime() + input.expiresInSeconds * 1000).toISOString(),
    usedAt: null, revokedAt: null, createdByUserId: actor.type === "USER" ? actor.id : null, createdAt: nowIso, updatedAt: nowIso,
  };
  await app.db.transaction(async () => {
    await insertRegistrationToken(app.db, row, sha256Hex(rawToken));
    await writeAudit(app, {
      actor, action: "registration_token.created", target: { type: "RegistrationToken", id: row.id }, requestId,
      metadata: { name: row.name, maxUses: row.maxUses, agentCode: row.agentCode, expiresAt: row.expiresAt },
    });
  });
  return { ...registrationTokenToWire(app, row), rawToken };
}

export async function listRegistrationTokensPage(
  app: App, f: RegistrationTokenFilter, sort: SortKey[], page: number, pageSize: number,
): Promise<{ rows: RegistrationTokenWire[]; pagination: Pagination }> {
  const { rows, total } = await listRegistrationTokens(app.db, f, app.now().toISOString(), sort, page, pageSize);
  return { rows: rows.map((t) => registrationTokenToWire(app, t)), pagination: { page, pageSize, total } };
}

/** Revokes a usable token. Revoking twice is a no-op; a used or expired token cannot be revoked (409). */
export async function revokeRegistrationTokenById(app: App, actor: Actor, id: string, requestId?: string): Promise<RegistrationTokenWire> {
  return await app.db.transaction(async () => {
    const t = await getRegistrationToken(app.db, id);
    if (!t) throw new AppError("REGISTRATION_TOKEN_NOT_FOUND", "no such registration token");
    const status = effectiveTokenStatus(app, t);
    if (status === "REVOKED") return registrationTokenToWire(app, t);
    if (status !== "ACTIVE") throw new AppError("CONFLICT", `registration token is ${status.toLowerCase()}; nothing to revoke`, { status });
    await revokeRegistrationToken(app.db, id, app.now().toISOString());
    await writeAudit(app, {
      actor, action: "registration_token.revoked", target: { type: "RegistrationToken", id }, requestId,
      metadata: { name: t.name, useCount: t.useCount },
    });
    return registrationTokenToWire(app, (await getRegistrationToken(app.db, id))!);
  });
}

/** DELETE (Opstage v0.4): removes an EXPIRED or REVOKED token and answers the deleted record; others are 409. */
export async function deleteRegistrationTokenById(app: App, actor: Actor, id: string, requestId?: string): Promise<RegistrationTokenWire> {
  return await app.db.transaction(async () => {
    const t = await getRegistrationToken(app.db, id);
    if (!t) throw new AppError("REGISTRATION_TOKEN_NOT_FOUND", "no such registration token");
    const wire = registrationTokenToWire(app, t);
    if (!await deleteSpentRegistrationToken(app.db, id, app.now().toISOString())) {
      throw new AppError("REGISTRATION_TOKEN_NOT_DELETABLE", `registration token is ${wire.status.toLowerCase()}; only expired or revoked tokens can be deleted (revoke it first)`, { status: wire.status });
    }
    await writeAudit(app, {
      actor, action: "registration_token.deleted", target: { type: "RegistrationToken", id }, requestId,
      metadata: { name: t.name, status: wire.status, useCount: t.useCount },
    });
    return wire;
  });
}

/** Maintenance: ACTIVE tokens past their expiry become EXPIRED. Returns how many. */
export async function expireRegistrationTokens(app: App, limit: number): Promise<number> {
  const nowIso = app.now().toISOString();
  let n = 0;
  for (const t of await listExpiredActiveTokens(app.db, nowIso, limit)) {
    await app.db.transaction(async () => {
      if (!await expireRegistrationToken(app.db, t.id, nowIso)) return;
      n++;
      await writeAudit(app, {
        actor: { type: "SYSTEM", id: null }, action: "system.registration_token.expired", target: { type: "RegistrationToken", id: t.id },
        metadata: { name: t.name, expiresAt: t.expiresAt, useCount: t.useCount },
      });
    });
  }
  return n;
}
