-- Issue 25, blocks (SQLite; PostgreSQL twin in migrations-pg): a visitor (visitor_id) or an
-- address range (net, canonical CIDR text: IPv4 as given, IPv6 at most a /64) kept out of a
-- site's chat, with a reason, who added it and an optional expiry (unix ms; NULL: until
-- deleted). Exactly one of visitor_id and net is set.
CREATE TABLE blocks (
    id         INTEGER PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    visitor_id INTEGER,
    net        TEXT,
    reason     TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE INDEX blocks_site ON blocks (site_id, id);
