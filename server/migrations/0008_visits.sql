-- A visitor's visit as the browser reports it (issue 10, seed 003): the CRM/routing values
-- given through zc("config") and the browse trace. Keyed by the hash of the visitor token
-- (pending or stored), so a visit is recorded before the visitor's first message and joins
-- the visitor through visitor_tokens once they have one.
CREATE TABLE visits (
    id         INTEGER PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    token_hash TEXT NOT NULL,                    -- sha256 hex of the visitor token
    params     TEXT NOT NULL DEFAULT '{}',       -- JSON object: the latest CRM/routing values
    updated_at INTEGER NOT NULL,                 -- ms
    UNIQUE (site_id, token_hash)
);

CREATE TABLE visit_pages (
    id       INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES visits(id),
    kind     TEXT NOT NULL,                      -- land | view | chat | manual
    url      TEXT NOT NULL,
    title    TEXT NOT NULL,
    referrer TEXT NOT NULL,
    args     TEXT NOT NULL DEFAULT '{}',         -- JSON {"pre":{…},"cur":{…}}: the seed's visit args
    at       INTEGER NOT NULL                    -- ms
);
CREATE INDEX visit_pages_by_visit ON visit_pages (visit_id, id);
