-- PostgreSQL twin of migrations/0013_lean_messages.sql: visitors.last_seq goes (a
-- conversation's highest seq comes from the (visitor_id, seq) index) and the
-- (visitor_id, cmid) uniqueness covers only messages that have a cmid.
ALTER TABLE messages DROP CONSTRAINT messages_visitor_id_cmid_key;
CREATE UNIQUE INDEX messages_cmid ON messages (visitor_id, cmid) WHERE cmid IS NOT NULL;
ALTER TABLE visitors DROP COLUMN last_seq;
