-- Issue 24: a left message goes to the site's push URL like any message. A delivery is now of
-- a message (`message_id`) or of a left message (`left_id`), exactly one of them, each pushed
-- at most once (UNIQUE; NULLs do not collide).
--
-- `message_id` loses NOT NULL, which SQLite cannot drop: the table is rebuilt with every
-- column, default, reference and index it had (0002, 0006). `push_attempts` references it, and
-- sqlx runs this file in a transaction where foreign keys cannot be switched off: as in 0010,
-- the checks are deferred to COMMIT, the rows set aside, the old table dropped (its implicit
-- DELETE counts the push_attempts rows as violations), the new one renamed into place and
-- filled with the same ids (which satisfies them again).
PRAGMA defer_foreign_keys = ON;
CREATE TABLE push_deliveries_copy AS SELECT * FROM push_deliveries;
CREATE TABLE push_deliveries_new (
    id              INTEGER PRIMARY KEY,
    message_id      INTEGER UNIQUE REFERENCES messages(id),
    left_id         INTEGER UNIQUE REFERENCES left_messages(id),
    site_id         INTEGER NOT NULL REFERENCES sites(id),
    url             TEXT NOT NULL,                   -- the site's push URL when enqueued
    payload         TEXT NOT NULL,                   -- the exact JSON body that is POSTed
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'failed', 'refused')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,                -- unix milliseconds (while pending)
    last_status     INTEGER,                         -- HTTP status of the last attempt
    last_error      TEXT,
    delivered_at    INTEGER,                         -- unix milliseconds
    created_at      INTEGER NOT NULL,
    lease_until     INTEGER,                         -- unix milliseconds
    lease_holder    TEXT,
    CHECK ((message_id IS NULL) <> (left_id IS NULL))
);
DROP TABLE push_deliveries;
ALTER TABLE push_deliveries_new RENAME TO push_deliveries;
INSERT INTO push_deliveries (id, message_id, site_id, url, payload, state, attempts,
        next_attempt_at, last_status, last_error, delivered_at, created_at, lease_until,
        lease_holder)
    SELECT id, message_id, site_id, url, payload, state, attempts, next_attempt_at,
        last_status, last_error, delivered_at, created_at, lease_until, lease_holder
    FROM push_deliveries_copy ORDER BY id;
DROP TABLE push_deliveries_copy;
CREATE INDEX push_deliveries_due ON push_deliveries(state, next_attempt_at);
CREATE INDEX push_deliveries_site ON push_deliveries(site_id, id);
