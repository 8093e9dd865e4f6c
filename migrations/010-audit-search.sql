-- Indexed free-text audit search (issue #16 point 5): an FTS5 index with the trigram tokenizer over
-- the four searched columns, external content (the text stays only in audit_events; rowid = the
-- table's implicit rowid, which nothing renumbers: Capstan never runs VACUUM, and the online backup
-- copies pages). The index is a candidate filter only: src/db/audit.ts re-checks every candidate with
-- the literal LIKE, so results are exactly the substring semantics of the scan. Triggers keep it in
-- step with inserts and retention deletes (audit events are never updated; the update trigger is for
-- completeness). Existing databases get the index built here ('rebuild' reads every event).
-- Number 010: 006-009 belong to other branches.
CREATE VIRTUAL TABLE audit_search USING fts5(
  action, message, target_id, actor_id,
  content = 'audit_events', content_rowid = 'rowid', tokenize = 'trigram', detail = 'none', columnsize = 0
);
CREATE TRIGGER audit_search_insert AFTER INSERT ON audit_events BEGIN
  INSERT INTO audit_search (rowid, action, message, target_id, actor_id)
    VALUES (new.rowid, new.action, new.message, new.target_id, new.actor_id);
END;
CREATE TRIGGER audit_search_delete AFTER DELETE ON audit_events BEGIN
  INSERT INTO audit_search (audit_search, rowid, action, message, target_id, actor_id)
    VALUES ('delete', old.rowid, old.action, old.message, old.target_id, old.actor_id);
END;
CREATE TRIGGER audit_search_update AFTER UPDATE ON audit_events BEGIN
  INSERT INTO audit_search (audit_search, rowid, action, message, target_id, actor_id)
    VALUES ('delete', old.rowid, old.action, old.message, old.target_id, old.actor_id);
  INSERT INTO audit_search (rowid, action, message, target_id, actor_id)
    VALUES (new.rowid, new.action, new.message, new.target_id, new.actor_id);
END;
INSERT INTO audit_search (audit_search) VALUES ('rebuild');
