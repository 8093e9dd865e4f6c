-- Capstan schema, baseline (user_version 1). Later changes are numbered files in migrations/.
-- Conventions: ids are '<prefix>_<ULID>' TEXT; timestamps are ISO-8601 UTC TEXT with milliseconds
-- ('2026-05-01T12:00:00.000Z'), so they sort and compare as strings; JSON columns end in _json.
-- Raw secrets never appear here: tokens and session ids are stored as SHA-256 hex only.

CREATE TABLE workspaces (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE users (
  id             TEXT PRIMARY KEY,
  username       TEXT NOT NULL UNIQUE,
  display_name   TEXT,
  role           TEXT NOT NULL CHECK (role IN ('owner', 'operator', 'viewer')),
  status         TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'DISABLED')),
  password_hash  TEXT NOT NULL,                 -- argon2id PHC string
  last_login_at  TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
) STRICT;

CREATE TABLE sessions (
  id            TEXT PRIMARY KEY,
  token_hash    TEXT NOT NULL UNIQUE,          -- sha256 of the raw cookie value
  user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_version  INTEGER NOT NULL DEFAULT 1,    -- CSRF token = HMAC(raw session id, version); bump to rotate
  ip            TEXT,
  user_agent    TEXT,
  created_at    TEXT NOT NULL,
  last_seen_at  TEXT NOT NULL,
  expires_at    TEXT NOT NULL                  -- absolute TTL, never extended
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE api_tokens (
  id            TEXT PRIMARY KEY,
  user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  token_hash    TEXT NOT NULL UNIQUE,
  created_at    TEXT NOT NULL,
  expires_at    TEXT,
  last_used_at  TEXT,
  revoked_at    TEXT
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens(user_id, created_at);

CREATE TABLE registration_tokens (
  id                  TEXT PRIMARY KEY,
  name                TEXT NOT NULL,
  token_hash          TEXT NOT NULL UNIQUE,
  status              TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'USED', 'REVOKED', 'EXPIRED')),
  max_uses            INTEGER NOT NULL DEFAULT 1,
  use_count           INTEGER NOT NULL DEFAULT 0,
  agent_code          TEXT,                      -- bound token: may only (re-)enrol this agent code
  expires_at          TEXT,
  used_at             TEXT,                      -- last consumption
  revoked_at          TEXT,
  created_by_user_id  TEXT REFERENCES users(id) ON DELETE SET NULL,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL
) STRICT;
CREATE INDEX registration_tokens_status ON registration_tokens(status, created_at);
CREATE INDEX registration_tokens_created ON registration_tokens(created_at);
CREATE INDEX registration_tokens_expires ON registration_tokens(expires_at);

CREATE TABLE agents (
  id                       TEXT PRIMARY KEY,
  code                     TEXT NOT NULL UNIQUE,
  name                     TEXT,
  mode                     TEXT NOT NULL DEFAULT 'embedded' CHECK (mode IN ('embedded', 'sidecar', 'external')),
  runtime                  TEXT,
  version                  TEXT,
  hostname                 TEXT,
  os                       TEXT,
  arch                     TEXT,
  -- stored status; the effective status (OFFLINE by heartbeat age) is computed at read time
  status                   TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'ONLINE', 'OFFLINE', 'DISABLED', 'REVOKED')),
  last_heartbeat_at        TEXT,                 -- heartbeat or poll
  last_heartbeat_audit_at  TEXT,                 -- agent.heartbeat.received is sampled (5 min)
  registered_at            TEXT NOT NULL,
  created_at               TEXT NOT NULL,
  updated_at               TEXT NOT NULL
) STRICT;
CREATE INDEX agents_status ON agents(status, created_at);
CREATE INDEX agents_created ON agents(created_at);
CREATE INDEX agents_heartbeat ON agents(last_heartbeat_at);
CREATE INDEX agents_name ON agents(name);

CREATE TABLE agent_tokens (
  id            TEXT PRIMARY KEY,
  agent_id      TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  token_hash    TEXT NOT NULL UNIQUE,
  status        TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'REVOKED')),
  created_at    TEXT NOT NULL,
  revoked_at    TEXT
) STRICT;
CREATE INDEX agent_tokens_agent ON agent_tokens(agent_id, status);

CREATE TABLE capsule_services (
  id                   TEXT PRIMARY KEY,
  agent_id             TEXT REFERENCES agents(id) ON DELETE SET NULL,
  code                 TEXT NOT NULL UNIQUE,
  name                 TEXT NOT NULL,
  description          TEXT,
  version              TEXT,
  runtime              TEXT,
  manifest_json        TEXT NOT NULL DEFAULT '{}',
  stored_status        TEXT NOT NULL DEFAULT 'UNKNOWN' CHECK (stored_status IN ('UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'STALE', 'OFFLINE')),
  health_status        TEXT NOT NULL DEFAULT 'UNKNOWN' CHECK (health_status IN ('UP', 'DEGRADED', 'DOWN', 'UNKNOWN')),
  last_reported_at     TEXT,
  last_health_at       TEXT,
  released_at          TEXT,                     -- operator freed the code for another agent
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL
) STRICT;
CREATE INDEX capsule_services_agent ON capsule_services(agent_id, created_at);
CREATE INDEX capsule_services_created ON capsule_services(created_at);
CREATE INDEX capsule_services_reported ON capsule_services(last_reported_at);
CREATE INDEX capsule_services_health ON capsule_services(health_status, created_at);
CREATE INDEX capsule_services_name ON capsule_services(name);

-- Latest health report per service (history is not kept; the audit log records transitions).
CREATE TABLE health_reports (
  id            TEXT PRIMARY KEY,
  service_id    TEXT NOT NULL UNIQUE REFERENCES capsule_services(id) ON DELETE CASCADE,
  agent_id      TEXT,
  status        TEXT NOT NULL CHECK (status IN ('UP', 'DEGRADED', 'DOWN', 'UNKNOWN')),
  message       TEXT,
  details_json  TEXT,
  reported_at   TEXT NOT NULL
) STRICT;

CREATE TABLE config_items (
  id             TEXT PRIMARY KEY,
  service_id     TEXT NOT NULL REFERENCES capsule_services(id) ON DELETE CASCADE,
  key            TEXT NOT NULL,
  label          TEXT,
  type           TEXT NOT NULL,
  source         TEXT,
  editable       INTEGER NOT NULL DEFAULT 0,
  sensitive      INTEGER NOT NULL DEFAULT 0,
  value_preview  TEXT,                           -- always NULL when sensitive
  default_value  TEXT,                           -- always NULL when sensitive
  secret_ref     TEXT,
  position       INTEGER NOT NULL DEFAULT 0,     -- order as reported
  UNIQUE (service_id, key)
) STRICT;

CREATE TABLE action_definitions (
  id                     TEXT PRIMARY KEY,
  service_id             TEXT NOT NULL REFERENCES capsule_services(id) ON DELETE CASCADE,
  name                   TEXT NOT NULL,
  label                  TEXT NOT NULL,
  description            TEXT,
  danger_level           TEXT NOT NULL DEFAULT 'LOW' CHECK (danger_level IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
  requires_confirmation  INTEGER NOT NULL DEFAULT 0,
  enabled                INTEGER NOT NULL DEFAULT 1,
  input_schema_json      TEXT,
  timeout_seconds        INTEGER,
  position               INTEGER NOT NULL DEFAULT 0,
  UNIQUE (service_id, name)
) STRICT;

CREATE TABLE commands (
  id                   TEXT PRIMARY KEY,
  agent_id             TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  service_id           TEXT NOT NULL REFERENCES capsule_services(id) ON DELETE CASCADE,
  type                 TEXT NOT NULL CHECK (type IN ('ACTION_PREPARE', 'ACTION_EXECUTE')),
  action_name          TEXT NOT NULL,
  status               TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'EXPIRED', 'CANCELLED')),
  payload_json         TEXT NOT NULL DEFAULT '{}',  -- secret fields replaced by "[REDACTED]"
  secret_fields_json   TEXT,                        -- JSON paths held in memory until dispatch
  created_by_user_id   TEXT REFERENCES users(id) ON DELETE SET NULL,
  created_by_type      TEXT NOT NULL DEFAULT 'USER' CHECK (created_by_type IN ('USER', 'BUS', 'SYSTEM')),
  retry_of             TEXT REFERENCES commands(id) ON DELETE SET NULL,
  source_event_id      TEXT,
  timeout_seconds      INTEGER,
  error_code           TEXT,
  error_message        TEXT,
  progress_percent     REAL,
  progress_message     TEXT,
  log_count            INTEGER NOT NULL DEFAULT 0,
  log_bytes            INTEGER NOT NULL DEFAULT 0,
  cancel_requested_at  TEXT,
  created_at           TEXT NOT NULL,
  started_at           TEXT,
  completed_at         TEXT,
  expires_at           TEXT NOT NULL
) STRICT;
CREATE INDEX commands_poll ON commands(agent_id, status, created_at);
CREATE INDEX commands_expiry ON commands(status, expires_at);
CREATE INDEX commands_created ON commands(created_at);
CREATE INDEX commands_service ON commands(service_id, created_at);
CREATE INDEX commands_type ON commands(type, created_at);
CREATE INDEX commands_action ON commands(action_name, created_at);
CREATE INDEX commands_status_created ON commands(status, created_at);
CREATE INDEX commands_completed ON commands(completed_at);

CREATE TABLE command_results (
  id           TEXT PRIMARY KEY,
  command_id   TEXT NOT NULL UNIQUE REFERENCES commands(id) ON DELETE CASCADE,
  success      INTEGER NOT NULL,
  message      TEXT,
  data_json    TEXT,                             -- generatedKey stored as "[REDACTED]"
  error_json   TEXT,
  started_at   TEXT,
  finished_at  TEXT,
  reported_at  TEXT NOT NULL
) STRICT;

-- Progress log lines of running commands (ours). Bounded per command: oldest dropped.
CREATE TABLE command_logs (
  id          INTEGER PRIMARY KEY,
  command_id  TEXT NOT NULL REFERENCES commands(id) ON DELETE CASCADE,
  at          TEXT NOT NULL,
  level       TEXT NOT NULL,
  message     TEXT NOT NULL
) STRICT;
CREATE INDEX command_logs_command ON command_logs(command_id, id);

CREATE TABLE audit_events (
  id             TEXT PRIMARY KEY,
  created_at     TEXT NOT NULL,
  actor_type     TEXT NOT NULL CHECK (actor_type IN ('USER', 'AGENT', 'SYSTEM')),
  actor_id       TEXT,
  action         TEXT NOT NULL,
  target_type    TEXT,
  target_id      TEXT,
  result         TEXT NOT NULL CHECK (result IN ('SUCCESS', 'FAILURE')),
  message        TEXT,
  metadata_json  TEXT,                           -- redacted before insert
  request_id     TEXT
) STRICT;
CREATE INDEX audit_created ON audit_events(created_at);
CREATE INDEX audit_target ON audit_events(target_type, target_id, created_at);
CREATE INDEX audit_target_id ON audit_events(target_id, created_at);
CREATE INDEX audit_actor ON audit_events(actor_type, created_at);
CREATE INDEX audit_result ON audit_events(result, created_at);
CREATE INDEX audit_action ON audit_events(action, created_at);

-- Small key/value store for server state that must survive restarts (e.g. maintenance last run).
CREATE TABLE settings (
  key         TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  updated_at  TEXT NOT NULL
) STRICT;
