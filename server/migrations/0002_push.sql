-- Seed 000 custom push URL: a durable outbox that is also the delivery log. One row per
-- stored message of a site with a push URL, written right after the message committed; the
-- push worker delivers due rows and records every attempt in `push_attempts`.

CREATE TABLE push_deliveries (
    id              INTEGER PRIMARY KEY,
    message_id      INTEGER NOT NULL UNIQUE REFERENCES messages(id),
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
    created_at      INTEGER NOT NULL
);
CREATE INDEX push_deliveries_due ON push_deliveries(state, next_attempt_at);
CREATE INDEX push_deliveries_site ON push_deliveries(site_id, id);

CREATE TABLE push_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES push_deliveries(id),
    attempt     INTEGER NOT NULL,                    -- 1, 2, …
    at          INTEGER NOT NULL,                    -- unix milliseconds
    outcome     TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed', 'refused')),
    status      INTEGER,                             -- HTTP status, when a response came
    error       TEXT
);
CREATE INDEX push_attempts_delivery ON push_attempts(delivery_id, attempt);
