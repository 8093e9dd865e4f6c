-- Indexed free-text audit search (issue #16 point 5): trigram GIN indexes (pg_trgm) on the exact
-- expressions the search's LIKE reads, lower(column) for each of the four searched columns, so the
-- unchanged query (src/db/query.ts Where.search) can be answered by a BitmapOr of index scans; the
-- heap re-check keeps the literal substring semantics. pg_trgm ships with PostgreSQL (contrib) and is
-- a trusted extension since PostgreSQL 13: a database owner without superuser may create it.
-- Existing databases get the indexes built here. Number 010: 006-009 belong to other branches.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX audit_search_action ON audit_events USING gin (lower(action) gin_trgm_ops);
CREATE INDEX audit_search_message ON audit_events USING gin (lower(message) gin_trgm_ops);
CREATE INDEX audit_search_target_id ON audit_events USING gin (lower(target_id) gin_trgm_ops);
CREATE INDEX audit_search_actor_id ON audit_events USING gin (lower(actor_id) gin_trgm_ops);
