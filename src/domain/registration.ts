// Agent registration: token check and consumption, agent create or re-enrolment, token issue, optional
// first service report and audit, all in one transaction so racing agents cannot share a token's last use.
import type { App } from "../context.js";
import { insertAgentToken, revokeAgentTokens } from "../db/agentTokens.js";
import { announceAgentChanged } from "./wakeups.js";
import { getAgentByCode, insertAgent, reenrolAgent, type AgentFacts } from "../db/agents.js";
import { consumeRegistrationToken, getRegistrationTokenByHash } from "../db/registrationTokens.js";
import { countInWindow, windowRetryAfter } from "../auth/limits.js";
import { AppError } from "../errors.js";
import { newId, newSecret, sha256Hex } from "../ids.js";
import type { RegisterAgentInput } from "../schemas/agents.js";
import { agentIntervals } from "./agents.js";
import { writeAudit } from "./audit.js";
import { effectiveTokenStatus } from "./registrationTokens.js";
import { reportServicesTx } from "./serviceReport.js";

export interface RegisterResult {
  agentId: string;
  agentToken: string;
  heartbeatIntervalSeconds: number;
  commandPollIntervalSeconds: number;
  services?: { code: string; serviceId: string }[];
}

/**
 * Failed registrations per client IP and minute, across all nodes (limiter_windows): past them the IP
 * is refused with 429 until the minute ends. Counted after the fact (a token check is cheap, unlike a
 * password check), so attempts in flight when the limit fills may still be checked.
 */
export const REGISTRATION_FAILURES_PER_MINUTE = 20;
const failureKey = (ip: string): string => `registration.ip:${ip}`;

/** `ip` is the client's: failures are limited per IP so a token guesser cannot flood the server or (auth/failures.ts) the audit log. */
export async function registerAgent(app: App, input: RegisterAgentInput, requestId: string | undefined, ip: string): Promise<RegisterResult> {
  const failures = app.runtime.authFailures;
  const wait = await windowRetryAfter(app, failureKey(ip), REGISTRATION_FAILURES_PER_MINUTE);
  if (wait > 0) {
    failures.record("registration", ip, true);
    throw new AppError("RATE_LIMITED", `too many failed registrations from this address; try again in ${wait} s`, { retryAfterSeconds: wait }, { "Retry-After": String(wait) });
  }
  let tokenId: string | null = null;
  try {
    return await app.db.transaction(async () => register(app, input, requestId, (id) => (tokenId = id)));
  } catch (err) {
    if (err instanceof AppError) {
      // The transaction rolled back; the refusal is recorded on its own (the first few a minute per IP).
      await countInWindow(app, failureKey(ip), REGISTRATION_FAILURES_PER_MINUTE);
      const sample = failures.record("registration", ip);
      if (sample.audit) {
        await app.db.transaction(async () => {
          await writeAudit(app, {
            actor: { type: "AGENT", id: null }, action: "agent.registered", result: "FAILURE", requestId,
            target: { type: "RegistrationToken", id: tokenId }, message: err.message,
            metadata: { errorCode: err.code, agentCode: input.agent.code, ip, ...(sample.suppressed ? { suppressed: sample.suppressed } : {}) },
          });
        });
      }
    }
    throw err;
  }
}

async function register(app: App, input: RegisterAgentInput, requestId: string | undefined, seenToken: (id: string) => void): Promise<RegisterResult> {
  const db = app.db;
  const now = app.now();
  const nowIso = now.toISOString();
  const code = input.agent.code;

  const t = await getRegistrationTokenByHash(db, sha256Hex(input.registrationToken));
  if (!t) throw new AppError("REGISTRATION_TOKEN_INVALID", "registration token is not known");
  seenToken(t.id);
  const status = effectiveTokenStatus(app, t);
  if (status === "REVOKED") throw new AppError("REGISTRATION_TOKEN_REVOKED", "registration token was revoked; ask an operator for a new one");
  if (status === "EXPIRED") throw new AppError("REGISTRATION_TOKEN_EXPIRED", "registration token has expired; ask an operator for a new one");
  if (status === "USED" || t.useCount >= t.maxUses) throw new AppError("REGISTRATION_TOKEN_USED", "registration token was already used");
  if (t.agentCode !== null && t.agentCode !== code) {
    throw new AppError("REGISTRATION_TOKEN_INVALID", "registration token is bound to another agent code");
  }
  const existing = await getAgentByCode(db, code);
  // Only a token bound to this code may take over an existing agent: no hijacking by any token holder.
  if (existing && t.agentCode === null) {
    throw new AppError("AGENT_CODE_TAKEN", `agent code ${code} is already registered; re-enrol it with a token bound to this code`);
  }
  if (!await consumeRegistrationToken(db, t.id, nowIso)) throw new AppError("REGISTRATION_TOKEN_USED", "registration token was already used");

  const a = input.agent;
  const facts: AgentFacts = {
    name: a.name ?? null, mode: a.mode, runtime: a.runtime ?? null, version: a.version ?? null,
    hostname: a.hostname ?? null, os: a.os ?? null, arch: a.arch ?? null,
  };
  const agentId = existing?.id ?? newId("agt", now.getTime());
  const agentActor = { type: "AGENT" as const, id: agentId };
  let rotated = 0;
  if (existing) {
    rotated = await revokeAgentTokens(db, agentId, nowIso);
    await announceAgentChanged(app, agentId);
    // Re-enrolment replaces a lost token; it does not lift an operator's DISABLED.
    await reenrolAgent(db, agentId, facts, existing.status === "DISABLED" ? "DISABLED" : "PENDING", nowIso);
  } else {
    await insertAgent(db, { id: agentId, code, ...facts, status: "PENDING", lastHeartbeatAt: null, registeredAt: nowIso, createdAt: nowIso, updatedAt: nowIso });
  }

  const agentToken = newSecret("opstage_agent_");
  const agentTokenId = newId("atk", now.getTime());
  await insertAgentToken(db, agentTokenId, agentId, sha256Hex(agentToken), nowIso);

  await writeAudit(app, {
    actor: agentActor, action: "registration_token.consumed", target: { type: "RegistrationToken", id: t.id }, requestId,
    metadata: { agentCode: code, useCount: t.useCount + 1, maxUses: t.maxUses, bound: t.agentCode !== null },
  });
  await writeAudit(app, {
    actor: agentActor, action: "agent.registered", target: { type: "Agent", id: agentId }, requestId,
    metadata: { code, reEnrolled: Boolean(existing), previousStatus: existing?.status ?? null, version: facts.version, hostname: facts.hostname, enrolledWith: t.id },
  });
  await writeAudit(app, {
    actor: { type: "SYSTEM", id: null }, action: "agent_token.issued", target: { type: "AgentToken", id: agentTokenId }, requestId,
    metadata: { agentId },
  });
  if (existing) {
    await writeAudit(app, {
      actor: agentActor, action: "agent.token.rotated", target: { type: "Agent", id: agentId }, requestId,
      metadata: { revokedCount: rotated, issued: agentTokenId },
    });
  }
  if (existing?.status === "REVOKED") {
    await writeAudit(app, {
      actor: agentActor, action: "agent.reinstated", target: { type: "Agent", id: agentId }, requestId,
      message: "a revoked agent was re-enrolled with a bound registration token", metadata: { code, enrolledWith: t.id },
    });
  }

  const services = input.service ? await reportServicesTx(app, agentId, [input.service], requestId) : undefined;
  return { agentId, agentToken, ...agentIntervals(app), ...(services ? { services } : {}) };
}
