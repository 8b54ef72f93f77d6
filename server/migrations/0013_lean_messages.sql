-- Issue 12, fewer pages written per chat message (SQLite).
--  * visitors.last_seq goes: a conversation's highest seq is read from the (visitor_id, seq)
--    index, whose leaf the message's insert writes anyway, instead of also rewriting the
--    visitor's row with every message.
--  * the (visitor_id, cmid) index holds only messages that have a cmid (visitors' sends):
--    agents', robots' and system messages have none and no longer get an entry in it. A
--    UNIQUE table constraint cannot be made partial or dropped in SQLite, so the table is
--    rebuilt exactly as 0010 rebuilt it (see there for the foreign-key dance), with every
--    column, id and sequence number kept.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE messages_copy AS SELECT * FROM messages;
CREATE TABLE messages_new (
    id         INTEGER PRIMARY KEY,
    visitor_id INTEGER NOT NULL REFERENCES visitors(id),
    seq        INTEGER NOT NULL,
    author     TEXT NOT NULL CHECK (author IN ('visitor', 'agent', 'system', 'robot')),
    agent_id   INTEGER REFERENCES agents(id),
    cmid       TEXT,                                 -- client message id (visitor sends)
    kind       INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 6),
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,                     -- unix milliseconds
    nick       TEXT,
    UNIQUE (visitor_id, seq)
);
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
INSERT INTO messages (id, visitor_id, seq, author, agent_id, cmid, kind, body, created_at, nick)
    SELECT id, visitor_id, seq, author, agent_id, cmid, kind, body, created_at, nick
    FROM messages_copy ORDER BY id;
DROP TABLE messages_copy;
CREATE UNIQUE INDEX messages_cmid ON messages(visitor_id, cmid) WHERE cmid IS NOT NULL;
ALTER TABLE visitors DROP COLUMN last_seq;
