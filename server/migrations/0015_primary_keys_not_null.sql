-- A PRIMARY KEY column is NOT NULL, as on PostgreSQL: SQLite (for compatibility with its
-- early versions) lets a TEXT PRIMARY KEY hold NULL unless the column says NOT NULL, so
-- settings.key, agent_tokens/visitor_tokens/access_tokens.token_hash, files.id and
-- leases.name could hold NULL here and not there (found by tests/it/schema.rs). SQLite
-- cannot change a column's constraints, so each table is rebuilt with every column,
-- default, reference and index it had; no table references these, so dropping them breaks
-- no foreign key. A row with a NULL key (never written by the server) is not kept.

CREATE TABLE settings_new (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO settings_new (key, value) SELECT key, value FROM settings WHERE key IS NOT NULL;
DROP TABLE settings;
ALTER TABLE settings_new RENAME TO settings;

CREATE TABLE agent_tokens_new (
    token_hash TEXT NOT NULL PRIMARY KEY,            -- sha256 hex of the bearer token
    agent_id   INTEGER NOT NULL REFERENCES agents(id),
    expires_at INTEGER NOT NULL,                     -- unix seconds
    revoked    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
INSERT INTO agent_tokens_new (token_hash, agent_id, expires_at, revoked, created_at)
    SELECT token_hash, agent_id, expires_at, revoked, created_at FROM agent_tokens
    WHERE token_hash IS NOT NULL;
DROP TABLE agent_tokens;
ALTER TABLE agent_tokens_new RENAME TO agent_tokens;
CREATE INDEX agent_tokens_agent ON agent_tokens(agent_id);

CREATE TABLE visitor_tokens_new (
    token_hash TEXT NOT NULL PRIMARY KEY,            -- sha256 hex of the visitor token
    visitor_id INTEGER NOT NULL REFERENCES visitors(id),
    created_at INTEGER NOT NULL
);
INSERT INTO visitor_tokens_new (token_hash, visitor_id, created_at)
    SELECT token_hash, visitor_id, created_at FROM visitor_tokens WHERE token_hash IS NOT NULL;
DROP TABLE visitor_tokens;
ALTER TABLE visitor_tokens_new RENAME TO visitor_tokens;

CREATE TABLE access_tokens_new (
    token_hash TEXT NOT NULL PRIMARY KEY,            -- sha256 hex of the access_token
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    expires_at INTEGER NOT NULL,                     -- unix seconds
    created_at INTEGER NOT NULL
);
INSERT INTO access_tokens_new (token_hash, site_id, expires_at, created_at)
    SELECT token_hash, site_id, expires_at, created_at FROM access_tokens
    WHERE token_hash IS NOT NULL;
DROP TABLE access_tokens;
ALTER TABLE access_tokens_new RENAME TO access_tokens;
CREATE INDEX access_tokens_site ON access_tokens(site_id);

CREATE TABLE files_new (
    id         TEXT NOT NULL PRIMARY KEY,        -- 32 lowercase hex; also the file name on disk
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    agent_id   INTEGER REFERENCES agents(id),
    name       TEXT NOT NULL,                    -- sanitised original name (display only)
    mime       TEXT NOT NULL,                    -- from the content's magic bytes, not the client
    kind       INTEGER NOT NULL,                 -- seed 001 file_type: 1 image, 2 voice, 5 video, 6 file
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO files_new (id, site_id, agent_id, name, mime, kind, size, created_at)
    SELECT id, site_id, agent_id, name, mime, kind, size, created_at FROM files
    WHERE id IS NOT NULL;
DROP TABLE files;
ALTER TABLE files_new RENAME TO files;

CREATE TABLE leases_new (
    name       TEXT NOT NULL PRIMARY KEY,
    node_id    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL                   -- unix milliseconds
);
INSERT INTO leases_new (name, node_id, expires_at)
    SELECT name, node_id, expires_at FROM leases WHERE name IS NOT NULL;
DROP TABLE leases;
ALTER TABLE leases_new RENAME TO leases;
