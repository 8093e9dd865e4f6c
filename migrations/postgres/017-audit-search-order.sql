-- Audit search (issue #16 point 5), PostgreSQL side of migration 017: one pg_trgm GIN index over the
-- four searched columns joined by a separator (\x1f), instead of one index per column (migration 010).
-- src/db/audit.ts probes it with a short end of q (the index's candidates; a long q's common trigrams,
-- such as the shared prefix of ULIDs, made the per-column scans read millions of postings) and keeps
-- the per-column LIKE as the exact re-check, so the results are unchanged. One bitmap scan instead of a
-- BitmapOr of four, and one index to update per inserted event instead of four. The expression must
-- stay identical to AUDIT_SEARCH_TEXT in src/db/dialect.ts. Existing events are indexed here (about
-- 15-50 s per 1,000,000 events). SQLite's 017 (rowid-ordered walk, late events) has no PostgreSQL part.
DROP INDEX IF EXISTS audit_search_action;
DROP INDEX IF EXISTS audit_search_message;
DROP INDEX IF EXISTS audit_search_target_id;
DROP INDEX IF EXISTS audit_search_actor_id;
CREATE INDEX audit_search ON audit_events USING gin (
  lower(coalesce(action, '') || chr(31) || coalesce(message, '') || chr(31) || coalesce(target_id, '') || chr(31) || coalesce(actor_id, '')) gin_trgm_ops
);
