-- Limits that must hold across nodes sharing one database (login throttle, agent registration
-- failures, bus ingest): one row per limited key, changed only by single atomic upserts
-- (src/db/limiter.ts), so two nodes can never both take the last slot. Times are epoch milliseconds
-- (window arithmetic in SQL, same on both engines). Rows are transient: maintenance deletes those
-- whose window, lock and pending reservations have all run out. Number 005: 004 is taken by
-- command_secrets (another branch). PostgreSQL mirror of migrations/005-limiter-windows.sql.
CREATE TABLE limiter_windows (
  key           TEXT COLLATE "C" PRIMARY KEY,            -- "<limit>:<subject>", e.g. login.ip:10.0.0.1, bus:agt_…
  window_ms     INTEGER NOT NULL,             -- this key's window length
  window_start  BIGINT  NOT NULL,             -- when the current window began (ms)
  hits          INTEGER NOT NULL DEFAULT 0,   -- counted this window (events, failures)
  refused       INTEGER NOT NULL DEFAULT 0,   -- refused this window (fixed windows: the first one is audited)
  pending       INTEGER NOT NULL DEFAULT 0,   -- login: attempts reserved and not yet settled
  pending_until BIGINT  NOT NULL DEFAULT 0,   -- login: pending reservations count until then (a crashed node's expire)
  locked_until  BIGINT  NOT NULL DEFAULT 0    -- login: refused until then (ms)
);
