-- The fingerprint (status, message, details) of the last stored health of each service (issue #15,
-- #16): a heartbeat carrying the same health within the refresh interval is not a write. Kept on the
-- row rather than in each node's memory, so it holds behind a non-sticky load balancer (an agent's
-- heartbeats alternate between nodes) and across restarts (no write storm when a node comes back).
-- Number 016: 011-015 belong to other branches. PostgreSQL mirror of migrations/016-health-fingerprint.sql.
ALTER TABLE capsule_services ADD COLUMN last_health_fingerprint TEXT COLLATE "C";
