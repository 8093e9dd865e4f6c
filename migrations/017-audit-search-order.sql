-- Newest-first audit search for common q (issue #16 point 5): the list walks the FTS5 candidates of a
-- q in rowid order (newest first) and stops after one page, instead of walking created_at past every
-- row that does not match. That walk is exact only where rowid order is created_at order, so this
-- table lists the "late" events: rows inserted with a created_at older than the newest event already
-- stored (a clock step back, an import). Every other row's created_at is >= that of all rows before it
-- (a new rowid is above every existing one), and src/db/auditSearch.ts adds the late matches and the
-- ties of the page's last created_at to the walk, so the page equals the created_at-ordered one.
-- Derived data like audit_search: `capstan db copy` does not copy it (PostgreSQL has no rowid).
-- The trigger's max(created_at) is one probe of audit_created. Existing events are classified here.
-- Number 017: 011 belongs to another branch.
CREATE TABLE audit_search_late (
  event_rowid INTEGER PRIMARY KEY -- audit_events.rowid of a late event
) STRICT;
CREATE TRIGGER audit_search_late_insert AFTER INSERT ON audit_events
  WHEN new.created_at < (SELECT max(created_at) FROM audit_events) BEGIN
  INSERT INTO audit_search_late (event_rowid) VALUES (new.rowid);
END;
CREATE TRIGGER audit_search_late_delete AFTER DELETE ON audit_events BEGIN
  DELETE FROM audit_search_late WHERE event_rowid = old.rowid;
END;
INSERT INTO audit_search_late (event_rowid)
  SELECT r FROM (SELECT rowid AS r, created_at,
    max(created_at) OVER (ORDER BY rowid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before FROM audit_events)
  WHERE created_at < before;
