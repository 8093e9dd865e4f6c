-- One-time secrets that any node must be able to hand out: a command's secret payload fields (until the
-- agent's claim takes them) and the generatedKey of its result (until its reader reads it, 15 minutes
-- at most). Only SecretBox envelopes are stored (AES-256-GCM, src/secrets/secretBox.ts, AAD
-- command:<id>:<kind>): the plaintext never reaches a table, the WAL or a dump.
-- (PostgreSQL mirror of migrations/004-command-secrets.sql; same conventions as 001-schema.sql.)
CREATE TABLE command_secrets (
  command_id      TEXT COLLATE "C" NOT NULL REFERENCES commands(id) ON DELETE CASCADE,
  kind            TEXT COLLATE "C" NOT NULL CHECK (kind IN ('secrets', 'generatedKey')),
  envelope        TEXT COLLATE "C" NOT NULL,
  reader_user_id  TEXT COLLATE "C",                 -- generatedKey only: who ran the command (NULL: owners only)
  created_at      TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (command_id, kind)
);
-- the maintenance sweep finds old generatedKey rows (age, then the count cap) oldest first
CREATE INDEX command_secrets_created ON command_secrets(kind, created_at);
