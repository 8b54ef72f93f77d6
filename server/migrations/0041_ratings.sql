-- Issue 24, rating a chat (seed 003 feedback_flag / show_evaluate / satDegree_A). One row per
-- chat: `chat_seq` is the seq of the end-of-chat line before the chat's agent messages (0 for
-- the first chat), so a rating can be changed until the next chat starts. `tags` a JSON
-- array of strings. Times in unix milliseconds.
CREATE TABLE ratings (
    id         INTEGER PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    visitor_id INTEGER NOT NULL REFERENCES visitors(id),
    chat_seq   INTEGER NOT NULL,
    agent_id   INTEGER NOT NULL,
    score      INTEGER NOT NULL,
    tags       TEXT NOT NULL DEFAULT '[]',
    comment    TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (visitor_id, chat_seq)
);
CREATE INDEX ratings_site ON ratings (site_id, updated_at);
