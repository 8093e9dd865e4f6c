// Aggregates for the dashboard's 24 h chart: command outcomes and active agents per hour.
import type { Db } from "./open.js";

const sql = {
  // finished executions per hour and outcome (uses commands_completed)
  outcomesByHour: `SELECT substr(completed_at, 1, 13) AS hour, status, COUNT(*) AS n
                   FROM commands WHERE completed_at >= ? AND type = 'ACTION_EXECUTE'
                   GROUP BY hour, status`,
  // distinct agents heard from per hour, from the sampled heartbeat audit (uses audit_action)
  agentsByHour: `SELECT substr(created_at, 1, 13) AS hour, COUNT(DISTINCT actor_id) AS n
                 FROM audit_events WHERE action = 'agent.heartbeat.received' AND created_at >= ?
                 GROUP BY hour`,
};

export const commandOutcomesByHour = async (db: Db, sinceIso: string): Promise<{ hour: string; status: string; n: number }[]> =>
  await db.all<{ hour: string; status: string; n: number }>(sql.outcomesByHour, [sinceIso]);

export const activeAgentsByHour = async (db: Db, sinceIso: string): Promise<{ hour: string; n: number }[]> =>
  await db.all<{ hour: string; n: number }>(sql.agentsByHour, [sinceIso]);
