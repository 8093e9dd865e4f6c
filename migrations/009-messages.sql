-- Message routing (off unless CAPSTAN_MESSAGES_ENABLED): conversation messages from the HTTP and
-- Telegram channels, the routes that send each to one service, the MESSAGE command type that
-- delivers it, and scopes on personal API tokens (a "messages" token reaches /api/messages only).
-- Number 009 (team plan). Same conventions as schema.sql.

-- commands.type gains MESSAGE. SQLite cannot alter a CHECK: the table is rebuilt (the documented
-- procedure; src/db/sqlite.ts runs migrations with foreign_keys off and checks them before commit).
CREATE TABLE commands_new (
  id                   TEXT PRIMARY KEY,
  agent_id             TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  service_id           TEXT NOT NULL REFERENCES capsule_services(id) ON DELETE CASCADE,
  type                 TEXT NOT NULL CHECK (type IN ('ACTION_PREPARE', 'ACTION_EXECUTE', 'MESSAGE')),
  action_name          TEXT NOT NULL,
  status               TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('AWAITING_APPROVAL', 'PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'EXPIRED', 'CANCELLED')),
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
INSERT INTO commands_new (id, agent_id, service_id, type, action_name, status, payload_json, secret_fields_json, created_by_user_id,
  created_by_type, retry_of, source_event_id, timeout_seconds, error_code, error_message, progress_percent, progress_message,
  log_count, log_bytes, cancel_requested_at, created_at, started_at, completed_at, expires_at)
  SELECT id, agent_id, service_id, type, action_name, status, payload_json, secret_fields_json, created_by_user_id,
  created_by_type, retry_of, source_event_id, timeout_seconds, error_code, error_message, progress_percent, progress_message,
  log_count, log_bytes, cancel_requested_at, created_at, started_at, completed_at, expires_at FROM commands;
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

-- JSON list of scopes; every token issued before this migration keeps today's behaviour.
ALTER TABLE api_tokens ADD COLUMN scopes_json TEXT NOT NULL DEFAULT '["admin"]';

CREATE TABLE message_routes (
  id                   TEXT PRIMARY KEY,                  -- mrt_
  name                 TEXT NOT NULL,
  priority             INTEGER NOT NULL DEFAULT 100,      -- lower first; ties by created_at
  status               TEXT NOT NULL DEFAULT 'ENABLED' CHECK (status IN ('ENABLED', 'DISABLED')),
  match_json           TEXT NOT NULL DEFAULT '{}',        -- {channel?, type?, commandPrefix?, textPrefix?, textPattern?, senders?, conversations?}
  target_service_code  TEXT NOT NULL,                     -- by code, so a route survives the service re-registering
  created_by_user_id   TEXT REFERENCES users(id) ON DELETE SET NULL,
  last_matched_at      TEXT,
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL
) STRICT;
CREATE INDEX message_routes_order ON message_routes(status, priority, created_at);

CREATE TABLE conversation_messages (
  id                  TEXT PRIMARY KEY,                   -- msg_
  channel             TEXT NOT NULL CHECK (channel IN ('http', 'telegram')),
  external_id         TEXT,                               -- the channel's own id (Telegram update_id): a re-delivery is stored once
  conversation_id     TEXT NOT NULL,
  sender_id           TEXT NOT NULL,
  sender_name         TEXT,
  type                TEXT NOT NULL CHECK (type IN ('QUERY', 'COMMAND', 'EVENT')),
  text                TEXT NOT NULL,
  attachments_json    TEXT,
  reply_to_ref        TEXT,                               -- the channel's message id to answer (Telegram message_id)
  correlation_id      TEXT NOT NULL,
  submitted_by_user_id TEXT,                              -- HTTP channel: the API token's owner (may read the message back)
  status              TEXT NOT NULL CHECK (status IN ('RECEIVED', 'ROUTED', 'ANSWERED', 'UNROUTED', 'FAILED', 'EXPIRED')),
  route_id            TEXT,
  service_id          TEXT,
  service_code        TEXT,
  command_id          TEXT,
  error_code          TEXT,
  reply_json          TEXT,                               -- {text, format, data?}; redacted
  received_at         TEXT NOT NULL,
  answered_at         TEXT,
  delivered_at        TEXT,                               -- the reply reached the channel (Telegram sendMessage)
  delivery_attempts   INTEGER NOT NULL DEFAULT 0,
  delivered_parts     INTEGER NOT NULL DEFAULT 0,                         -- a long reply goes out in parts: a retry resumes after the last one sent
  next_delivery_at    TEXT
) STRICT;
CREATE UNIQUE INDEX conversation_messages_external ON conversation_messages(channel, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX conversation_messages_received ON conversation_messages(received_at);
CREATE INDEX conversation_messages_conversation ON conversation_messages(channel, conversation_id, received_at);
CREATE INDEX conversation_messages_command ON conversation_messages(command_id);
CREATE INDEX conversation_messages_delivery ON conversation_messages(channel, delivered_at, next_delivery_at);
