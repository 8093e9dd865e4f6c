-- Outbound notifications (webhooks): endpoints an owner configures and the durable outbox of what
-- each must receive. An outbox row is written in the same transaction as the audit event it is
-- derived from (src/domain/audit.ts -> domain/notifications/outbox.ts), so a crash loses nothing and
-- delivers nothing that did not happen. Number 007 (006: approvals, another branch).
CREATE TABLE webhook_endpoints (
  id               TEXT PRIMARY KEY,             -- whe_
  name             TEXT NOT NULL,
  url              TEXT NOT NULL,                -- http(s); may carry a credential (Slack): owners only
  format           TEXT NOT NULL CHECK (format IN ('standard', 'slack')),
  events_json      TEXT NOT NULL,                -- JSON array of subscribed event types
  enabled          INTEGER NOT NULL DEFAULT 1,
  secret_sealed    TEXT NOT NULL,                -- the whsec_ signing secret, sealed with the secret box
  disabled_reason  TEXT,                         -- why the system disabled it (continuous failure)
  failing_since    TEXT,                         -- first failed attempt since the last success; NULL when healthy
  last_success_at  TEXT,
  last_failure_at  TEXT,
  lease_owner      TEXT,                         -- the node delivering to it now (one delivery in flight per endpoint)
  lease_until      TEXT,                         -- a crashed node's lease runs out; another node takes over
  created_by       TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
) STRICT;

CREATE TABLE webhook_deliveries (
  seq              INTEGER PRIMARY KEY,          -- queue order within an endpoint
  id               TEXT NOT NULL UNIQUE,         -- whd_
  endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  message_id       TEXT NOT NULL,                -- webhook-id: the same on every retry and redelivery
  event_type       TEXT NOT NULL,
  body_json        TEXT NOT NULL,                -- {type, timestamp, data}, fixed when enqueued
  status           TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  last_attempt_at  TEXT,
  response_status  INTEGER,                      -- HTTP status of the last attempt (NULL: no response)
  duration_ms      INTEGER,
  error            TEXT,                         -- why the last attempt failed (bounded)
  response_excerpt TEXT                          -- start of the last response body (bounded)
) STRICT;
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, status, seq);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, seq);
