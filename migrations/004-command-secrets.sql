-- One-time secrets that any node must be able to hand out: a command's secret payload fields (until the
-- agent's claim takes them) and the generatedKey of its result (until its reader reads it, 15 minutes
-- at most). Only SecretBox envelopes are stored (AES-256-GCM, src/secrets/secretBox.ts, AAD
-- command:<id>:<kind>): the plaintext never reaches a table, the WAL or a backup.
CREATE TABLE command_secrets (
  command_id      TEXT NOT NULL REFERENCES commands(id) ON DELETE CASCADE,
  kind            TEXT NOT NULL CHECK (kind IN ('secrets', 'generatedKey')),
  envelope        TEXT NOT NULL,
  reader_user_id  TEXT,                 -- generatedKey only: who ran the command (NULL: owners only)
  created_at      TEXT NOT NULL,
  PRIMARY KEY (command_id, kind)
) STRICT;
-- the maintenance sweep finds old generatedKey rows (age, then the count cap) oldest first
CREATE INDEX command_secrets_created ON command_secrets(kind, created_at);
