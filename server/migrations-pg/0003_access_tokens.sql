-- Seed 002 access tokens, stored only as their SHA-256 (see migrations/0003_access_tokens.sql).

CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    site_id    BIGINT NOT NULL REFERENCES sites(id),
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX access_tokens_site ON access_tokens(site_id);
