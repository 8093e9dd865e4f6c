-- OpHub agents (upstream v0.3, spec upstream-v04.md section 3): an external agent process that governs
-- several local services registers with mode 'ophub'. agents.mode gains the value.
-- SQLite cannot change a CHECK in place: the table is rebuilt (the ladder runs with foreign keys off
-- and checks them before the step commits, src/db/sqlite.ts), same columns in the same order, same
-- indexes (agents_heartbeat was dropped by 003). The rows wait in a TEMP table (another file) while
-- the table is dropped and created again, so the new table reuses the old one's pages and a fresh
-- database keeps no free pages (test/db/file.test.ts).
CREATE TEMP TABLE agents_keep AS SELECT id, code, name, mode, runtime, version, hostname, os, arch, status, last_heartbeat_at,
  last_heartbeat_audit_at, registered_at, created_at, updated_at FROM agents;
DROP TABLE agents;
CREATE TABLE agents (
  id                       TEXT PRIMARY KEY,
  code                     TEXT NOT NULL UNIQUE,
  name                     TEXT,
  mode                     TEXT NOT NULL DEFAULT 'embedded' CHECK (mode IN ('embedded', 'sidecar', 'external', 'ophub')),
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
INSERT INTO agents SELECT id, code, name, mode, runtime, version, hostname, os, arch, status, last_heartbeat_at,
  last_heartbeat_audit_at, registered_at, created_at, updated_at FROM temp.agents_keep;
DROP TABLE temp.agents_keep;
CREATE INDEX agents_status ON agents(status, created_at);
CREATE INDEX agents_created ON agents(created_at);
CREATE INDEX agents_name ON agents(name);
