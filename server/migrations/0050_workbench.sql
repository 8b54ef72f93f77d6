-- Issue 25, the agent's workbench (SQLite; PostgreSQL twin in migrations-pg).
--  * conversations: the stretches of a visitor's one thread (messages first_seq..last_seq),
--    opened by the visitor's first message for people after the previous one ended, closed
--    when an agent ends the chat (with a category, a summary and labels). At most one open
--    per visitor (conversations_open). Times in unix milliseconds.
--  * sites.summary_required / summary_categories: whether ending a chat needs a category and
--    a summary, and the categories offered (comma-separated; '' = any text).
--  * notes: agents' private notes on a visitor, after the message `after_seq`.
--  * search_terms: the search index — each term (robot/text.rs's terms()) of a message
--    (kind 'm'), a note ('n') or a conversation's summary ('c'), with its site and visitor;
--    search_progress: how far the background indexer has read `messages` (by id).
CREATE TABLE conversations (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites(id),
    visitor_id  INTEGER NOT NULL REFERENCES visitors(id),
    first_seq   INTEGER NOT NULL,
    last_seq    INTEGER,
    agent_id    INTEGER REFERENCES agents(id),
    group_id    INTEGER,
    started_at  INTEGER NOT NULL,
    assigned_at INTEGER,
    ended_at    INTEGER,
    category    TEXT NOT NULL DEFAULT '',
    summary     TEXT NOT NULL DEFAULT '',
    labels      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX conversations_visitor ON conversations (visitor_id, first_seq);
CREATE INDEX conversations_site ON conversations (site_id, started_at);
CREATE UNIQUE INDEX conversations_open ON conversations (visitor_id) WHERE ended_at IS NULL;

ALTER TABLE sites ADD COLUMN summary_required INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sites ADD COLUMN summary_categories TEXT NOT NULL DEFAULT '';

CREATE TABLE notes (
    id         INTEGER PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    visitor_id INTEGER NOT NULL REFERENCES visitors(id),
    agent_id   INTEGER NOT NULL REFERENCES agents(id),
    after_seq  INTEGER NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX notes_visitor ON notes (visitor_id, id);

CREATE TABLE search_terms (
    kind       TEXT NOT NULL CHECK (kind IN ('m', 'n', 'c')),
    ref_id     INTEGER NOT NULL,
    term       TEXT NOT NULL,
    site_id    INTEGER NOT NULL,
    visitor_id INTEGER NOT NULL,
    PRIMARY KEY (kind, ref_id, term)
);
CREATE INDEX search_terms_term ON search_terms (site_id, term);
CREATE INDEX search_terms_visitor ON search_terms (visitor_id);

CREATE TABLE search_progress (
    name    TEXT NOT NULL PRIMARY KEY,
    last_id INTEGER NOT NULL
);
