// agent_tokens: bearer tokens of agents (hash only). Rotated on re-enrolment, revoked with the agent.
import type { Db } from "./open.js";
import type { AgentStatus, AgentTokenStatus } from "../vocabulary.js";

export interface AgentTokenLookup {
  tokenId: string;
  tokenStatus: AgentTokenStatus;
  agentId: string;
  agentCode: string;
  agentStatus: AgentStatus;
}

const sql = {
  // bearer lookup with the agent's status (auth order: known -> active -> agent usable)
  byHash: `SELECT t.id AS token_id, t.status AS token_status, a.id AS agent_id, a.code AS agent_code, a.status AS agent_status
           FROM agent_tokens t JOIN agents a ON a.id = t.agent_id WHERE t.token_hash = ?`,
  // issue
  insert: `INSERT INTO agent_tokens (id, agent_id, token_hash, status, created_at) VALUES (?, ?, ?, 'ACTIVE', ?)`,
  // rotation / revocation: every active token of the agent
  revokeAll: `UPDATE agent_tokens SET status = 'REVOKED', revoked_at = ? WHERE agent_id = ? AND status = 'ACTIVE'`,
};

type Raw = { token_id: string; token_status: AgentTokenStatus; agent_id: string; agent_code: string; agent_status: AgentTokenLookup["agentStatus"] };

export async function findAgentToken(db: Db, hash: string): Promise<AgentTokenLookup | undefined> {
  const r = await db.get<Raw>(sql.byHash, [hash]);
  return r && { tokenId: r.token_id, tokenStatus: r.token_status, agentId: r.agent_id, agentCode: r.agent_code, agentStatus: r.agent_status };
}

export const insertAgentToken = async (db: Db, id: string, agentId: string, hash: string, nowIso: string): Promise<void> => {
  await db.run(sql.insert, [id, agentId, hash, nowIso]);
};

export const revokeAgentTokens = async (db: Db, agentId: string, nowIso: string): Promise<number> => (await db.run(sql.revokeAll, [nowIso, agentId])).changes;
