-- Issue 27 item 6, web push to agents' phones (SQLite; PostgreSQL twin in migrations-pg).
-- An agent's browsers' push subscriptions (at most a few per agent; the endpoint is the
-- push service's URL for one browser, unique), and a durable outbox of notifications to
-- them: one row per subscription per new chat, delivered by the web push worker with the
-- seed 000 outbox's leasing and retries. The VAPID key pair is the `settings` row
-- `webpush_vapid_pkcs8` (created on first start, shared by every node). Times in unix ms.
CREATE TABLE webpush_subscriptions (
    id         INTEGER PRIMARY KEY,
    agent_id   INTEGER NOT NULL REFERENCES agents(id),
    endpoint   TEXT NOT NULL UNIQUE,
    p256dh     TEXT NOT NULL,                 -- the browser's P-256 key, base64url
    auth       TEXT NOT NULL,                 -- its 16-byte auth secret, base64url
    created_at INTEGER NOT NULL
);
CREATE INDEX webpush_subscriptions_agent ON webpush_subscriptions (agent_id, created_at);

CREATE TABLE webpush_deliveries (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES webpush_subscriptions(id),
    payload         TEXT NOT NULL,            -- the JSON notice, encrypted at each attempt
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'failed', 'refused')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    lease_until     INTEGER,
    lease_holder    TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX webpush_deliveries_due ON webpush_deliveries (state, next_attempt_at);
CREATE INDEX webpush_deliveries_subscription ON webpush_deliveries (subscription_id);
