// agent_tokens: bearer tokens of agents (hash only). Rotated on re-enrolment, revoked with the agent.
import type { Db } from "./open.js";
import { statements } from "./open.js";
import type { AgentStatus, AgentTokenStatus } from "../vocabulary.js";

export interface AgentTokenLookup {
  tokenId: string;
  tokenStatus: AgentTokenStatus;
  agentId: string;
  agentCode: string;
  agentStatus: AgentStatus;
}

const sql = statements({
  // bearer lookup with the agent's status (auth order: known -> active -> agent usable)
  byHash: `SELECT t.id AS token_id, t.status AS token_status, a.id AS agent_id, a.code AS agent_code, a.status AS agent_status
           FROM agent_tokens t JOIN agents a ON a.id = t.agent_id WHERE t.token_hash = ?`,
  // issue
  insert: `INSERT INTO agent_tokens (id, agent_id, token_hash, status, created_at) VALUES (?, ?, ?, 'ACTIVE', ?)`,
  // rotation / revocation: every active token of the agent
  revokeAll: `UPDATE agent_tokens SET status = 'REVOKED', revoked_at = ? WHERE agent_id = ? AND status = 'ACTIVE'`,
});

type Raw = { token_id: string; token_status: AgentTokenStatus; agent_id: string; agent_code: string; agent_status: AgentTokenLookup["agentStatus"] };

export function findAgentToken(db: Db, hash: string): AgentTokenLookup | undefined {
  const r = sql(db).byHash.get(hash) as Raw | undefined;
  return r && { tokenId: r.token_id, tokenStatus: r.token_status, agentId: r.agent_id, agentCode: r.agent_code, agentStatus: r.agent_status };
}

export const insertAgentToken = (db: Db, id: string, agentId: string, hash: string, nowIso: string): void => {
  sql(db).insert.run(id, agentId, hash, nowIso);
};

export const revokeAgentTokens = (db: Db, agentId: string, nowIso: string): number => sql(db).revokeAll.run(nowIso, agentId).changes;
