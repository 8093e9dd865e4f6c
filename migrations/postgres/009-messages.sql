-- Message routing (off unless CAPSTAN_MESSAGES_ENABLED): conversation messages from the HTTP and
-- Telegram channels, the routes that send each to one service, the MESSAGE command type that
-- delivers it, and scopes on personal API tokens. PostgreSQL mirror of migrations/009-messages.sql.

-- commands.type gains MESSAGE (only the type CHECK is replaced; the status CHECK is left alone)
ALTER TABLE commands DROP CONSTRAINT commands_type_check;
ALTER TABLE commands ADD CONSTRAINT commands_type_check CHECK (type IN ('ACTION_PREPARE', 'ACTION_EXECUTE', 'MESSAGE'));

ALTER TABLE api_tokens ADD COLUMN scopes_json TEXT COLLATE "C" NOT NULL DEFAULT '["admin"]';

CREATE TABLE message_routes (
  id                   TEXT COLLATE "C" PRIMARY KEY,                  -- mrt_
  name                 TEXT COLLATE "C" NOT NULL,
  priority             INTEGER NOT NULL DEFAULT 100,                  -- lower first; ties by created_at
  status               TEXT COLLATE "C" NOT NULL DEFAULT 'ENABLED' CHECK (status IN ('ENABLED', 'DISABLED')),
  match_json           TEXT COLLATE "C" NOT NULL DEFAULT '{}',
  target_service_code  TEXT COLLATE "C" NOT NULL,
  created_by_user_id   TEXT COLLATE "C" REFERENCES users(id) ON DELETE SET NULL,
  last_matched_at      TEXT COLLATE "C",
  created_at           TEXT COLLATE "C" NOT NULL,
  updated_at           TEXT COLLATE "C" NOT NULL
);
CREATE INDEX message_routes_order ON message_routes(status, priority, created_at);

CREATE TABLE conversation_messages (
  id                  TEXT COLLATE "C" PRIMARY KEY,                   -- msg_
  channel             TEXT COLLATE "C" NOT NULL CHECK (channel IN ('http', 'telegram')),
  external_id         TEXT COLLATE "C",
  conversation_id     TEXT COLLATE "C" NOT NULL,
  sender_id           TEXT COLLATE "C" NOT NULL,
  sender_name         TEXT COLLATE "C",
  type                TEXT COLLATE "C" NOT NULL CHECK (type IN ('QUERY', 'COMMAND', 'EVENT')),
  text                TEXT COLLATE "C" NOT NULL,
  attachments_json    TEXT COLLATE "C",
  reply_to_ref        TEXT COLLATE "C",
  correlation_id      TEXT COLLATE "C" NOT NULL,
  submitted_by_user_id TEXT COLLATE "C",
  status              TEXT COLLATE "C" NOT NULL CHECK (status IN ('RECEIVED', 'ROUTED', 'ANSWERED', 'UNROUTED', 'FAILED', 'EXPIRED')),
  route_id            TEXT COLLATE "C",
  service_id          TEXT COLLATE "C",
  service_code        TEXT COLLATE "C",
  command_id          TEXT COLLATE "C",
  error_code          TEXT COLLATE "C",
  reply_json          TEXT COLLATE "C",
  received_at         TEXT COLLATE "C" NOT NULL,
  answered_at         TEXT COLLATE "C",
  delivered_at        TEXT COLLATE "C",
  delivery_attempts   INTEGER NOT NULL DEFAULT 0,
  delivered_parts     INTEGER NOT NULL DEFAULT 0,
  next_delivery_at    TEXT COLLATE "C"
);
CREATE UNIQUE INDEX conversation_messages_external ON conversation_messages(channel, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX conversation_messages_received ON conversation_messages(received_at);
CREATE INDEX conversation_messages_conversation ON conversation_messages(channel, conversation_id, received_at);
CREATE INDEX conversation_messages_command ON conversation_messages(command_id);
CREATE INDEX conversation_messages_delivery ON conversation_messages(channel, delivered_at, next_delivery_at);
