-- OpHub agents (upstream-v04.md section 3). PostgreSQL mirror of migrations/012-ophub-agents.sql:
-- the CHECK of agents.mode is replaced in place.
ALTER TABLE agents DROP CONSTRAINT agents_mode_check;
ALTER TABLE agents ADD CONSTRAINT agents_mode_check CHECK (mode IN ('embedded', 'sidecar', 'external', 'ophub'));
