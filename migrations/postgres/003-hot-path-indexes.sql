-- Indexes tuned on measurements (docs/benchmarks.md, bench/).
-- Every heartbeat and poll writes agents.last_heartbeat_at; its index made each of those commits
-- rewrite index pages too (~45 -> ~25 us per commit without it). Its readers do not need it: the
-- offline sweep filters on an expression it cannot use, and sorting 10,000 agents by last contact
-- takes ~1.5 ms without it.
DROP INDEX IF EXISTS agents_heartbeat;
-- The dashboard and the metrics count commands by (status, type) on every read: a covering index
-- turns that table scan into an index scan (20,000 commands: ~11 ms -> ~1.4 ms).
CREATE INDEX IF NOT EXISTS commands_status_type ON commands(status, type);
