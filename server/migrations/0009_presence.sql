-- Who is on which site now (issue 10's presence long poll, shared by every node): one row per
-- visitor token (pending or stored, by its hash) renewed by the notifier's polls at most every
-- few seconds; a row not renewed for the stale time is gone (the listing ignores it, the
-- leased sweep deletes it). vid is the random id agents invite with (32811); invite holds an
-- invitation not yet delivered to a poll (taken once, by whichever node's poll reads it).
CREATE TABLE presence (
    id         INTEGER PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    token_hash TEXT NOT NULL,                    -- sha256 hex of the visitor token
    vid        TEXT NOT NULL,                    -- random, what 32810 lists and 32811 names
    visitor_id INTEGER,                          -- the visitor's row once they have one (gid)
    url        TEXT NOT NULL,
    title      TEXT NOT NULL,
    since      INTEGER NOT NULL,                 -- ms: on this page since
    renewed_at INTEGER NOT NULL,                 -- ms: last poll that renewed the row
    invite     TEXT,                             -- a pending invitation, NULL when none
    UNIQUE (site_id, token_hash)
);
CREATE INDEX presence_by_site ON presence (site_id, renewed_at);
CREATE INDEX presence_by_renewed ON presence (renewed_at);
