-- Four-eyes approvals (governance.md): commands of actions that need approval are created
-- AWAITING_APPROVAL and wait for N distinct reviewers. One generic model (subject type + id) so the
-- catalog's package approvals reuse it. Same conventions as schema.sql.

-- An action may declare requiresApproval: true in its report.
ALTER TABLE action_definitions ADD COLUMN requires_approval INTEGER NOT NULL DEFAULT 0;

-- commands.status gains AWAITING_APPROVAL. SQLite cannot change a CHECK in place: the table is
-- rebuilt (SQLite's documented procedure; the ladder runs with foreign keys off and checks them
-- before each step commits, src/db/sqlite.ts), same columns in the same order, same indexes.
CREATE TABLE commands_new (
  id                   TEXT PRIMARY KEY,
  agent_id             TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  service_id           TEXT NOT NULL REFERENCES capsule_services(id) ON DELETE CASCADE,
  type                 TEXT NOT NULL CHECK (type IN ('ACTION_PREPARE', 'ACTION_EXECUTE')),
  action_name          TEXT NOT NULL,
  status               TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('AWAITING_APPROVAL', 'PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'EXPIRED', 'CANCELLED')),
  payload_json         TEXT NOT NULL DEFAULT '{}',  -- secret fields replaced by "[REDACTED]"
  secret_fields_json   TEXT,                        -- JSON paths of the fields sealed in command_secrets until dispatch
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
INSERT INTO commands_new SELECT id, agent_id, service_id, type, action_name, status, payload_json, secret_fields_json,
  created_by_user_id, created_by_type, retry_of, source_event_id, timeout_seconds, error_code, error_message, progress_percent,
  progress_message, log_count, log_bytes, cancel_requested_at, created_at, started_at, completed_at, expires_at FROM commands;
DROP TABLE commands;
ALTER TABLE commands_new RENAME TO commands;
CREATE INDEX commands_poll ON commands(agent_id, status, created_at);
CREATE INDEX commands_expiry ON commands(status, expires_at);
CREATE INDEX commands_created ON commands(created_at);
CREATE INDEX commands_service ON commands(service_id, created_at);
CREATE INDEX commands_type ON commands(type, created_at);
CREATE INDEX commands_action ON commands(action_name, created_at);
CREATE INDEX commands_status_created ON commands(status, created_at);
CREATE INDEX commands_completed ON commands(completed_at);
CREATE INDEX commands_status_type ON commands(status, type);

-- One approval request per subject (a command now; a package version later). subject_type is checked
-- by the code (APPROVAL_SUBJECT_TYPES in src/vocabulary.ts), not by a CHECK, so a new kind of subject
-- needs no table rebuild.
CREATE TABLE approvals (
  id                    TEXT PRIMARY KEY,             -- apr_
  subject_type          TEXT NOT NULL,                -- COMMAND
  subject_id            TEXT NOT NULL,
  status                TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED')),
  required_approvals    INTEGER NOT NULL DEFAULT 1,   -- distinct reviewers needed (1..3)
  requested_by_user_id  TEXT REFERENCES users(id) ON DELETE SET NULL, -- never one of its reviewers
  summary_json          TEXT NOT NULL DEFAULT '{}',   -- what reviewers see; redacted before insert
  reason                TEXT,                         -- rejection or cancel reason
  decided_by_user_id    TEXT REFERENCES users(id) ON DELETE SET NULL,
  decided_at            TEXT,
  created_at            TEXT NOT NULL,
  expires_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL
) STRICT;
CREATE INDEX approvals_status ON approvals(status, created_at);
CREATE INDEX approvals_expiry ON approvals(status, expires_at);
CREATE INDEX approvals_created ON approvals(created_at);
CREATE UNIQUE INDEX approvals_subject ON approvals(subject_type, subject_id);

-- One row per reviewer and request: the primary key makes N reviewers N distinct people.
CREATE TABLE approval_reviews (
  approval_id       TEXT NOT NULL REFERENCES approvals(id) ON DELETE CASCADE,
  reviewer_user_id  TEXT NOT NULL,
  decision          TEXT NOT NULL CHECK (decision IN ('APPROVE', 'REJECT')),
  comment           TEXT,
  created_at        TEXT NOT NULL,
  PRIMARY KEY (approval_id, reviewer_user_id)
) STRICT;

-- Owner policies: actions of a service (action_name '*': all of them) need approval by N reviewers.
-- By service code, like bus routes, so a policy survives the service re-registering.
CREATE TABLE approval_policies (
  id                  TEXT PRIMARY KEY,               -- apl_
  service_code        TEXT NOT NULL,
  action_name         TEXT NOT NULL,                  -- '*' for every action of the service
  required_approvals  INTEGER NOT NULL,
  created_by_user_id  TEXT REFERENCES users(id) ON DELETE SET NULL,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  UNIQUE (service_code, action_name)
) STRICT;
