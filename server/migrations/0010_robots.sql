-- no-transaction
-- Issue 11's FAQ robot. The first lines above run this file outside sqlx's transaction: the
-- `messages` rebuild below must switch foreign keys off, which SQLite ignores inside a
-- transaction; the file opens and commits its own transaction instead.
--
-- robots: a site's robots, `robotid` the number the site's pages ask for (seed 003 `robotid`).
-- `version` is bumped by every change of the robot's FAQ: each node's cached index compares it.
-- faqs: the robot's entries; `similar` is a JSON array of other phrasings of the question.
-- messages: `author` may now be 'robot' (the robot's answers in the conversation).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

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
    similar    TEXT NOT NULL DEFAULT '[]',      -- JSON array of strings
    created_at INTEGER NOT NULL
);
CREATE INDEX faqs_robot ON faqs (robot_id, id);

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
INSERT INTO messages_new (id, visitor_id, seq, author, agent_id, cmid, kind, body, created_at)
    SELECT id, visitor_id, seq, author, agent_id, cmid, kind, body, created_at FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;

COMMIT;
PRAGMA foreign_keys = ON;
