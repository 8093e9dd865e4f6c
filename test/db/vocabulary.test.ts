// schema.sql and the migrations keep their CHECK (col IN (...)) lists as SQL; this test keeps them
// equal to src/vocabulary.ts so the database and the code cannot drift apart.
import t from "tap";
import { CHECK_VIOLATION, openTestDb } from "../testDb.js";
import type { Tap } from "../pgKit.js";
import {
  APPROVAL_DECISIONS, APPROVAL_STATUSES,
  ACTOR_TYPES, AGENT_MODES, AGENT_STATUSES, AGENT_TOKEN_STATUSES, AUDIT_RESULTS, BUS_EVENT_OUTCOMES, BUS_ROUTE_STATUSES, COMMAND_CREATORS,
  COMMAND_SECRET_KINDS, COMMAND_STATUSES, COMMAND_TYPES, DANGER_LEVELS, HEALTH_STATUSES, ROLES, SERVICE_STATUSES, TOKEN_STATUSES, USER_STATUSES,
  MESSAGE_CHANNELS, MESSAGE_ROUTE_STATUSES, MESSAGE_STATUSES, MESSAGE_TYPES,
} from "../../src/vocabulary.js";
import { WEBHOOK_DELIVERY_STATUSES, WEBHOOK_FORMATS } from "../../src/vocabulary.js";
import { PACKAGE_DIGEST_SOURCES, PACKAGE_INSTALL_STATUSES, PACKAGE_VERSION_STATUSES } from "../../src/vocabulary.js";

const EXPECTED: Record<string, readonly string[]> = {
  "users.role": ROLES,
  "users.status": USER_STATUSES,
  "registration_tokens.status": TOKEN_STATUSES,
  "agents.mode": AGENT_MODES,
  "agents.status": AGENT_STATUSES,
  "agent_tokens.status": AGENT_TOKEN_STATUSES,
  "capsule_services.stored_status": SERVICE_STATUSES,
  "capsule_services.health_status": HEALTH_STATUSES,
  "health_reports.status": HEALTH_STATUSES,
  "action_definitions.danger_level": DANGER_LEVELS,
  "commands.type": COMMAND_TYPES,
  "commands.status": COMMAND_STATUSES,
  "commands.created_by_type": COMMAND_CREATORS,
  "command_secrets.kind": COMMAND_SECRET_KINDS,
  "audit_events.actor_type": ACTOR_TYPES,
  "audit_events.result": AUDIT_RESULTS,
  "bus_routes.status": BUS_ROUTE_STATUSES,
  "bus_events.outcome": BUS_EVENT_OUTCOMES,
  "approvals.status": APPROVAL_STATUSES,
  "approval_reviews.decision": APPROVAL_DECISIONS,
  "webhook_endpoints.format": WEBHOOK_FORMATS,
  "webhook_deliveries.status": WEBHOOK_DELIVERY_STATUSES,
  "message_routes.status": MESSAGE_ROUTE_STATUSES,
  "conversation_messages.channel": MESSAGE_CHANNELS,
  "conversation_messages.type": MESSAGE_TYPES,
  "conversation_messages.status": MESSAGE_STATUSES,
  "package_versions.status": PACKAGE_VERSION_STATUSES,
  "package_versions.digest_source": PACKAGE_DIGEST_SOURCES,
  "package_install_approvals.status": PACKAGE_INSTALL_STATUSES,
};

/** Every `CHECK (column IN ('A', 'B'))` of the migrated schema (SQLite's or PostgreSQL's), keyed "table.column". */
async function checkLists(t: Tap): Promise<Record<string, string[]>> {
  const db = await openTestDb(t);
  const out: Record<string, string[]> = {};
  if (db.kind === "postgres") {
    // PostgreSQL keeps CHECK (c IN (...)) as CHECK ((c = ANY (ARRAY['A'::text, ...])))
    const defs = await db.all<{ name: string; def: string }>(`SELECT conrelid::regclass::text AS name, pg_get_constraintdef(oid) AS def
      FROM pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace`);
    for (const { name, def } of defs) {
      const m = /^CHECK \(\(?\(?(\w+)\)?(?:::text)? = ANY \(+ARRAY\[(.*)\]/.exec(def);
      if (m) out[`${name}.${m[1]}`] = [...m[2]!.matchAll(/'((?:[^']|'')*)'/g)].map((v) => v[1]!);
    }
    return out;
  }
  const tables = await db.all<{ name: string; sql: string }>(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL`);
  for (const { name, sql } of tables) {
    for (const m of sql.matchAll(/CHECK\s*\(\s*(\w+)\s+IN\s*\(([^)]*)\)\s*\)/gi)) {
      out[`${name}.${m[1]}`] = [...m[2]!.matchAll(/'((?:[^']|'')*)'/g)].map((v) => v[1]!);
    }
  }
  return out;
}

t.test("every CHECK list of the schema equals its vocabulary list", async (t) => {
  const actual = await checkLists(t);
  t.same(Object.keys(actual).sort(), Object.keys(EXPECTED).sort(), "every CHECK list is mapped to a vocabulary list (and every mapping exists)");
  for (const [key, list] of Object.entries(EXPECTED)) t.same(actual[key], [...list], `${key} CHECK equals the vocabulary`);
});

t.test("the database refuses a value outside the vocabulary", async (t) => {
  const db = await openTestDb(t);
  const insert = async (status: string) =>
    await db.run(`INSERT INTO users (id, username, password_hash, role, status, created_at, updated_at) VALUES (?, ?, 'x', 'viewer', ?, 'now', 'now')`, [`usr_${status}`, `u-${status}`, status]);
  for (const s of USER_STATUSES) await t.resolves(() => insert(s), `${s} is stored`);
  await t.rejects(() => insert("SUSPENDED"), { code: CHECK_VIOLATION });
});
