-- Nothing on SQLite: PostgreSQL's 018 adds a BRIN index on audit_events.created_at for its audit
-- search (src/db/auditSearchPg.ts); SQLite has no BRIN and walks its FTS5 candidates in rowid order
-- (migration 017). The step exists so both engines report the same schema version.
SELECT 1;
