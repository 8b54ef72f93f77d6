-- Uploaded files (see migrations/0005_files.sql).
CREATE TABLE files (
    id         TEXT PRIMARY KEY,
    site_id    BIGINT NOT NULL REFERENCES sites(id),
    agent_id   BIGINT REFERENCES agents(id),
    name       TEXT NOT NULL,
    mime       TEXT NOT NULL,
    kind       BIGINT NOT NULL,
    size       BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
