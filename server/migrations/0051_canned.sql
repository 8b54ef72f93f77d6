-- Issue 25, canned replies (SQLite; PostgreSQL twin in migrations-pg): a site's (owner 0)
-- and each agent's own (owner = the agent's id), by shortcut, unique per site and owner.
CREATE TABLE canned_replies (
    id         INTEGER PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    owner      INTEGER NOT NULL DEFAULT 0,
    shortcut   TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (site_id, owner, shortcut)
);
