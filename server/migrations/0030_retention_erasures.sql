-- Issue 26, a customer's data.
--  * sites.retain_days: messages and uploads of the site older than this many days are
--    deleted by the retention sweep (NULL: kept for ever).
--  * erasures: the log of `admin visitor export|erase`'s erasures (what was erased of whom,
--    when); the visitor's row itself stays (its id, site and times: aggregates count it).
ALTER TABLE sites ADD COLUMN retain_days INTEGER;
CREATE TABLE erasures (
    id         INTEGER PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    visitor_id INTEGER NOT NULL,
    messages   INTEGER NOT NULL,                 -- messages whose text was removed
    files      INTEGER NOT NULL,                 -- uploads deleted
    visits     INTEGER NOT NULL,                 -- visits (CRM values, browse trace) deleted
    reason     TEXT NOT NULL DEFAULT '',
    at         INTEGER NOT NULL                  -- unix milliseconds
);
CREATE INDEX erasures_site ON erasures (site_id, at);
