// The package a service runs (capsule_services.package_*, migration 015) against the install
// approvals (package_install_approvals, migration 014): SQL fragments for the service queries and
// the lookups of the package policy. Rules in src/domain/packages/policy.ts.
import type { Db } from "./open.js";

/**
 * 1 when the service `s` runs a package version that no APPROVED install request allows on its agent
 * (one for the agent, or one for all agents; a request pinned to a digest allows only that digest).
 * 0 when it is approved or reports no package. No bound parameters.
 */
export const packageUnapprovedSql = `CASE WHEN s.package_name IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM package_install_approvals i
    WHERE i.package_name = s.package_name AND i.version = s.package_version AND i.status = 'APPROVED'
      AND (i.agent_id IS NULL OR i.agent_id = s.agent_id) AND (i.digest IS NULL OR i.digest = s.package_digest)
  ) THEN 1 ELSE 0 END`;

const sql = {
  // the services running a package version on one agent (what an install approval for it releases)
  servicesOnAgent: `SELECT id FROM capsule_services WHERE package_name = ? AND package_version = ? AND agent_id = ? ORDER BY id`,
  // the services running a package version anywhere (an install approval for all agents)
  servicesAnywhere: `SELECT id FROM capsule_services WHERE package_name = ? AND package_version = ? ORDER BY id`,
};

export const servicesRunningPackage = async (db: Db, name: string, version: string, agentId: string | null): Promise<string[]> =>
  (await (agentId ? db.all<{ id: string }>(sql.servicesOnAgent, [name, version, agentId]) : db.all<{ id: string }>(sql.servicesAnywhere, [name, version])))
    .map((r) => r.id);

const attentionSql = {
  // the services that report a package, for the dashboard's package flags (bounded)
  withPackage: `SELECT id FROM capsule_services WHERE package_name IS NOT NULL AND released_at IS NULL ORDER BY name, id LIMIT ?`,
};

export const servicesWithPackage = async (db: Db, limit: number): Promise<string[]> =>
  (await db.all<{ id: string }>(attentionSql.withPackage, [limit])).map((r) => r.id);
