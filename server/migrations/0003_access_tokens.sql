-- Seed 002 (WeChat-style customer-service account API): access tokens issued by
-- GET /cgi-bin/token for a site's appid/secret. Stored only as their SHA-256.

CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,                     -- sha256 hex of the access_token
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    expires_at INTEGER NOT NULL,                     -- unix seconds
    created_at INTEGER NOT NULL
);
CREATE INDEX access_tokens_site ON access_tokens(site_id);
