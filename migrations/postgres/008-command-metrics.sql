-- Execution trace of a command's run as its agent reported it with the result (issue #20): JSON
-- {attempts, durationMs, cpuUserMs, cpuSystemMs, peakHeapMb?}, validated and bounded by the result
-- route (src/schemas/commands.ts). NULL for results without metrics (older SDKs, upstream agents,
-- synthetic results). Number 008: 006 and 007 belong to other branches. PostgreSQL mirror of
-- migrations/008-command-metrics.sql.
ALTER TABLE command_results ADD COLUMN metrics_json TEXT COLLATE "C";
