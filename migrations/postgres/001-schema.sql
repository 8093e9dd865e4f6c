-- Capstan schema for PostgreSQL, version 1: the same tables, columns, constraints and indexes as
-- schema.sql, so rows are identical across engines. Differences, and why:
--   * TEXT COLLATE "C" everywhere: byte-order comparison and sorting, as SQLite's BINARY collation,
--     whatever the database's default locale (ISO-8601 timestamps and ids compare as strings; lower()
--     folds ASCII only, like SQLite's).
--   * no STRICT (PostgreSQL is always typed); REAL -> DOUBLE PRECISION (SQLite's REAL is 8 bytes).
--   * command_logs.id: an identity column instead of SQLite's rowid alias; byte/line counters BIGINT.
--   * booleans stay INTEGER 0/1 and JSON stays text (columns ending in _json), as on SQLite.
--   * indexes on nullable columns that lists sort by are NULLS FIRST: SQLite orders NULLs first
--     ascending, and such an index serves both ASC NULLS FIRST and DESC NULLS LAST.
-- The migrator (src/db/pgMigrate.ts) records versions in schema_version (SQLite: PRAGMA user_version).

CREATE TABLE workspaces (
  id          TEXT COLLATE "C" PRIMARY KEY,
  name        TEXT COLLATE "C" NOT NULL,
  created_at  TEXT COLLATE "C" NOT NULL
);

CREATE TABLE users (
  id             TEXT COLLATE "C" PRIMARY KEY,
  username       TEXT COLLATE "C" NOT NULL UNIQUE,
  display_name   TEXT COLLATE "C",
  role           TEXT COLLATE "C" NOT NULL CHECK (role IN ('owner', 'operator', 'viewer')),
  status         TEXT COLLATE "C" NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'DISABLED')),
  password_hash  TEXT COLLATE "C" NOT NULL,                 -- argon2id PHC string
  last_login_at  TEXT COLLATE "C",
  created_at     TEXT COLLATE "C" NOT NULL,
  updated_at     TEXT COLLATE "C" NOT NULL
);

CREATE TABLE sessions (
  id            TEXT COLLATE "C" PRIMARY KEY,
  token_hash    TEXT COLLATE "C" NOT NULL UNIQUE,          -- sha256 of the raw cookie value
  user_id       TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_version  INTEGER NOT NULL DEFAULT 1,    -- CSRF token = HMAC(raw session id, version); bump to rotate
  ip            TEXT COLLATE "C",
  user_agent    TEXT COLLATE "C",
  created_at    TEXT COLLATE "C" NOT NULL,
  last_seen_at  TEXT COLLATE "C" NOT NULL,
  expires_at    TEXT COLLATE "C" NOT NULL                  -- absolute TTL, never extended
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE api_tokens (
  id            TEXT COLLATE "C" PRIMARY KEY,
  user_id       TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name          TEXT COLLATE "C" NOT NULL,
  token_hash    TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at    TEXT COLLATE "C" NOT NULL,
  expires_at    TEXT COLLATE "C",
  last_used_at  TEXT COLLATE "C",
  revoked_at    TEXT COLLATE "C"
);
CREATE INDEX api_tokens_user ON api_tokens(user_id, created_at);

CREATE TABLE registration_tokens (
  id                  TEXT COLLATE "C" PRIMARY KEY,
  name                TEXT COLLATE "C" NOT NULL,
  token_hash          TEXT COLLATE "C" NOT NULL UNIQUE,
  status              TEXT COLLATE "C" NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'USED', 'REVOKED', 'EXPIRED')),
  max_uses            INTEGER NOT NULL DEFAULT 1,
  use_count           INTEGER NOT NULL DEFAULT 0,
  agent_code          TEXT COLLATE "C",                      -- bound token: may only (re-)enrol this agent code
  expires_at          TEXT COLLATE "C",
  used_at             TEXT COLLATE "C",                      -- last consumption
  revoked_at          TEXT COLLATE "C",
  created_by_user_id  TEXT COLLATE "C" REFERENCES users(id) ON DELETE SET NULL,
  created_at          TEXT COLLATE "C" NOT NULL,
  updated_at          TEXT COLLATE "C" NOT NULL
);
CREATE INDEX registration_tokens_status ON registration_tokens(status, created_at);
CREATE INDEX registration_tokens_created ON registration_tokens(created_at);
CREATE INDEX registration_tokens_expires ON registration_tokens(expires_at NULLS FIRST);

CREATE TABLE agents (
  id                       TEXT COLLATE "C" PRIMARY KEY,
  code                     TEXT COLLATE "C" NOT NULL UNIQUE,
  name                     TEXT COLLATE "C",
  mode                     TEXT COLLATE "C" NOT NULL DEFAULT 'embedded' CHECK (mode IN ('embedded', 'sidecar', 'external')),
  runtime                  TEXT COLLATE "C",
  version                  TEXT COLLATE "C",
  hostname                 TEXT COLLATE "C",
  os                       TEXT COLLATE "C",
  arch                     TEXT COLLATE "C",
  -- stored status; the effective status (OFFLINE by heartbeat age) is computed at read time
  status                   TEXT COLLATE "C" NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'ONLINE', 'OFFLINE', 'DISABLED', 'REVOKED')),
  last_heartbeat_at        TEXT COLLATE "C",                 -- heartbeat or poll
  last_heartbeat_audit_at  TEXT COLLATE "C",                 -- agent.heartbeat.received is sampled (5 min)
  registered_at            TEXT COLLATE "C" NOT NULL,
  created_at               TEXT COLLATE "C" NOT NULL,
  updated_at               TEXT COLLATE "C" NOT NULL
);
CREATE INDEX agents_status ON agents(status, created_at);
CREATE INDEX agents_created ON agents(created_at);
CREATE INDEX agents_heartbeat ON agents(last_heartbeat_at NULLS FIRST);
CREATE INDEX agents_name ON agents(name NULLS FIRST);

CREATE TABLE agent_tokens (
  id            TEXT COLLATE "C" PRIMARY KEY,
  agent_id      TEXT COLLATE "C" NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  token_hash    TEXT COLLATE "C" NOT NULL UNIQUE,
  status        TEXT COLLATE "C" NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'REVOKED')),
  created_at    TEXT COLLATE "C" NOT NULL,
  revoked_at    TEXT COLLATE "C"
);
CREATE INDEX agent_tokens_agent ON agent_tokens(agent_id, status);

CREATE TABLE capsule_services (
  id                   TEXT COLLATE "C" PRIMARY KEY,
  agent_id             TEXT COLLATE "C" REFERENCES agents(id) ON DELETE SET NULL,
  code                 TEXT COLLATE "C" NOT NULL UNIQUE,
  name                 TEXT COLLATE "C" NOT NULL,
  description          TEXT COLLATE "C",
  version              TEXT COLLATE "C",
  runtime              TEXT COLLATE "C",
  manifest_json        TEXT COLLATE "C" NOT NULL DEFAULT '{}',
  stored_status        TEXT COLLATE "C" NOT NULL DEFAULT 'UNKNOWN' CHECK (stored_status IN ('UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'STALE', 'OFFLINE')),
  health_status        TEXT COLLATE "C" NOT NULL DEFAULT 'UNKNOWN' CHECK (health_status IN ('UP', 'DEGRADED', 'DOWN', 'UNKNOWN')),
  last_reported_at     TEXT COLLATE "C",
  last_health_at       TEXT COLLATE "C",
  released_at          TEXT COLLATE "C",                     -- operator freed the code for another agent
  created_at           TEXT COLLATE "C" NOT NULL,
  updated_at           TEXT COLLATE "C" NOT NULL
);
CREATE INDEX capsule_services_agent ON capsule_services(agent_id, created_at);
CREATE INDEX capsule_services_created ON capsule_services(created_at);
CREATE INDEX capsule_services_reported ON capsule_services(last_reported_at NULLS FIRST);
CREATE INDEX capsule_services_health ON capsule_services(health_status, created_at);
CREATE INDEX capsule_services_name ON capsule_services(name);

-- Latest health report per service (history is not kept; the audit log records transitions).
CREATE TABLE health_reports (
  id            TEXT COLLATE "C" PRIMARY KEY,
  service_id    TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES capsule_services(id) ON DELETE CASCADE,
  agent_id      TEXT COLLATE "C",
  status        TEXT COLLATE "C" NOT NULL CHECK (status IN ('UP', 'DEGRADED', 'DOWN', 'UNKNOWN')),
  message       TEXT COLLATE "C",
  details_json  TEXT COLLATE "C",
  reported_at   TEXT COLLATE "C" NOT NULL
);

CREATE TABLE config_items (
  id             TEXT COLLATE "C" PRIMARY KEY,
  service_id     TEXT COLLATE "C" NOT NULL REFERENCES capsule_services(id) ON DELETE CASCADE,
  key            TEXT COLLATE "C" NOT NULL,
  label          TEXT COLLATE "C",
  type           TEXT COLLATE "C" NOT NULL,
  source         TEXT COLLATE "C",
  editable       INTEGER NOT NULL DEFAULT 0,
  sensitive      INTEGER NOT NULL DEFAULT 0,
  value_preview  TEXT COLLATE "C",                           -- always NULL when sensitive
  default_value  TEXT COLLATE "C",                           -- always NULL when sensitive
  secret_ref     TEXT COLLATE "C",
  position       INTEGER NOT NULL DEFAULT 0,     -- order as reported
  UNIQUE (service_id, key)
);

CREATE TABLE action_definitions (
  id                     TEXT COLLATE "C" PRIMARY KEY,
  service_id             TEXT COLLATE "C" NOT NULL REFERENCES capsule_services(id) ON DELETE CASCADE,
  name                   TEXT COLLATE "C" NOT NULL,
  label                  TEXT COLLATE "C" NOT NULL,
  description            TEXT COLLATE "C",
  danger_level           TEXT COLLATE "C" NOT NULL DEFAULT 'LOW' CHECK (danger_level IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
  requires_confirmation  INTEGER NOT NULL DEFAULT 0,
  enabled                INTEGER NOT NULL DEFAULT 1,
  input_schema_json      TEXT COLLATE "C",
  timeout_seconds        INTEGER,
  position               INTEGER NOT NULL DEFAULT 0,
  UNIQUE (service_id, name)
);

CREATE TABLE commands (
  id                   TEXT COLLATE "C" PRIMARY KEY,
  agent_id             TEXT COLLATE "C" NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  service_id           TEXT COLLATE "C" NOT NULL REFERENCES capsule_services(id) ON DELETE CASCADE,
  type                 TEXT COLLATE "C" NOT NULL CHECK (type IN ('ACTION_PREPARE', 'ACTION_EXECUTE')),
  action_name          TEXT COLLATE "C" NOT NULL,
  status               TEXT COLLATE "C" NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'EXPIRED', 'CANCELLED')),
  payload_json         TEXT COLLATE "C" NOT NULL DEFAULT '{}',  -- secret fields replaced by "[REDACTED]"
  secret_fields_json   TEXT COLLATE "C",                        -- JSON paths held in memory until dispatch
  created_by_user_id   TEXT COLLATE "C" REFERENCES users(id) ON DELETE SET NULL,
  created_by_type      TEXT COLLATE "C" NOT NULL DEFAULT 'USER' CHECK (created_by_type IN ('USER', 'BUS', 'SYSTEM')),
  retry_of             TEXT COLLATE "C" REFERENCES commands(id) ON DELETE SET NULL,
  source_event_id      TEXT COLLATE "C",
  timeout_seconds      INTEGER,
  error_code           TEXT COLLATE "C",
  error_message        TEXT COLLATE "C",
  progress_percent     DOUBLE PRECISION,
  progress_message     TEXT COLLATE "C",
  log_count            BIGINT NOT NULL DEFAULT 0,
  log_bytes            BIGINT NOT NULL DEFAULT 0,
  cancel_requested_at  TEXT COLLATE "C",
  created_at           TEXT COLLATE "C" NOT NULL,
  started_at           TEXT COLLATE "C",
  completed_at         TEXT COLLATE "C",
  expires_at           TEXT COLLATE "C" NOT NULL
);
CREATE INDEX commands_poll ON commands(agent_id, status, created_at);
CREATE INDEX commands_expiry ON commands(status, expires_at);
CREATE INDEX commands_created ON commands(created_at);
CREATE INDEX commands_service ON commands(service_id, created_at);
CREATE INDEX commands_type ON commands(type, created_at);
CREATE INDEX commands_action ON commands(action_name, created_at);
CREATE INDEX commands_status_created ON commands(status, created_at);
CREATE INDEX commands_completed ON commands(completed_at NULLS FIRST);

CREATE TABLE command_results (
  id           TEXT COLLATE "C" PRIMARY KEY,
  command_id   TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES commands(id) ON DELETE CASCADE,
  success      INTEGER NOT NULL,
  message      TEXT COLLATE "C",
  data_json    TEXT COLLATE "C",                             -- generatedKey stored as "[REDACTED]"
  error_json   TEXT COLLATE "C",
  started_at   TEXT COLLATE "C",
  finished_at  TEXT COLLATE "C",
  reported_at  TEXT COLLATE "C" NOT NULL
);

-- Progress log lines of running commands (ours). Bounded per command: oldest dropped.
CREATE TABLE command_logs (
  id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  command_id  TEXT COLLATE "C" NOT NULL REFERENCES commands(id) ON DELETE CASCADE,
  at          TEXT COLLATE "C" NOT NULL,
  level       TEXT COLLATE "C" NOT NULL,
  message     TEXT COLLATE "C" NOT NULL
);
CREATE INDEX command_logs_command ON command_logs(command_id, id);

CREATE TABLE audit_events (
  id             TEXT COLLATE "C" PRIMARY KEY,
  created_at     TEXT COLLATE "C" NOT NULL,
  actor_type     TEXT COLLATE "C" NOT NULL CHECK (actor_type IN ('USER', 'AGENT', 'SYSTEM')),
  actor_id       TEXT COLLATE "C",
  action         TEXT COLLATE "C" NOT NULL,
  target_type    TEXT COLLATE "C",
  target_id      TEXT COLLATE "C",
  result         TEXT COLLATE "C" NOT NULL CHECK (result IN ('SUCCESS', 'FAILURE')),
  message        TEXT COLLATE "C",
  metadata_json  TEXT COLLATE "C",                           -- redacted before insert
  request_id     TEXT COLLATE "C"
);
CREATE INDEX audit_created ON audit_events(created_at);
CREATE INDEX audit_target ON audit_events(target_type, target_id, created_at);
CREATE INDEX audit_target_id ON audit_events(target_id, created_at);
CREATE INDEX audit_actor ON audit_events(actor_type, created_at);
CREATE INDEX audit_result ON audit_events(result, created_at);
CREATE INDEX audit_action ON audit_events(action, created_at);

-- Small key/value store for server state that must survive restarts (e.g. maintenance last run).
CREATE TABLE settings (
  key         TEXT COLLATE "C" PRIMARY KEY,
  value       TEXT COLLATE "C" NOT NULL,
  updated_at  TEXT COLLATE "C" NOT NULL
);
