-- Issue 11's FAQ robot.
-- robots: a site's robots, `robotid` the number the site's pages ask for (seed 003 `robotid`).
-- `version` is bumped by every change of the robot's FAQ: each node's cached index compares it.
-- faqs: the robot's entries; `phrasings` (the similar phrasings: `similar` is reserved in
-- PostgreSQL) is a JSON array of strings.
-- messages: `author` may now be 'robot' (the robot's answers in the conversation).
CREATE TABLE robots (
    id         INTEGER PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    robotid    INTEGER NOT NULL,                -- the site's own number (seed 003 robotid)
    name       TEXT NOT NULL,
    hello      TEXT NOT NULL DEFAULT '',        -- greeting ('' = the default one)
    version    INTEGER NOT NULL DEFAULT 0,      -- bumped on every FAQ change
    created_at INTEGER NOT NULL,
    UNIQUE (site_id, robotid)
);

CREATE TABLE faqs (
    id         INTEGER PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    robot_id   INTEGER NOT NULL REFERENCES robots(id),
    faq_group  INTEGER,                         -- seed 003 faqid; NULL = no group
    question   TEXT NOT NULL,
    answer     TEXT NOT NULL,
    phrasings  TEXT NOT NULL DEFAULT '[]',      -- the similar phrasings: JSON array of strings
    created_at INTEGER NOT NULL
);
CREATE INDEX faqs_robot ON faqs (robot_id, id);

-- The CHECK of `messages.author` changes, so the table is rebuilt (SQLite cannot alter a
-- CHECK). sqlx runs this file in a transaction, where foreign keys cannot be switched off, and
-- `push_deliveries.message_id` references `messages`: so the checks are deferred to COMMIT,
-- the rows are set aside, the old table dropped (its implicit DELETE counts the
-- push_deliveries rows as violations), the new one renamed into place and then filled (each
-- message inserted again satisfies its push_deliveries rows: the count is back to 0 at
-- COMMIT, which fails otherwise). Ids, sequence numbers and every constraint and index of
-- 0001 are kept (the UNIQUE constraints are the indexes).
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
    UNIQUE (visitor_id, seq),
    UNIQUE (visitor_id, cmid)
);
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
INSERT INTO messages (id, visitor_id, seq, author, agent_id, cmid, kind, body, created_at)
    SELECT id, visitor_id, seq, author, agent_id, cmid, kind, body, created_at
    FROM messages_copy ORDER BY id;
DROP TABLE messages_copy;
