-- Frontdesk schema, SQLite flavour. One conversation per visitor: a visitor's messages form
-- one thread numbered by `seq` (1, 2, …), so seed 001's `gid` names both.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sites (
    id                 INTEGER PRIMARY KEY,          -- business_id (seed 000)
    sysnum             TEXT NOT NULL UNIQUE,         -- 32 lowercase hex (seed 003)
    name               TEXT NOT NULL,
    appid              TEXT NOT NULL UNIQUE,         -- seed 002 token credentials
    secret             TEXT NOT NULL,
    sign_key           TEXT NOT NULL,                -- security check key (seed 003)
    sign_check         TEXT NOT NULL DEFAULT 'off' CHECK (sign_check IN ('off', 'md5', 'hmac')),
    push_url           TEXT,
    push_allow_private INTEGER NOT NULL DEFAULT 0,
    origins            TEXT NOT NULL DEFAULT '',     -- comma-separated allowed embedding origins
    created_at         INTEGER NOT NULL
);

CREATE TABLE agent_groups (
    id        INTEGER PRIMARY KEY,
    site_id   INTEGER NOT NULL REFERENCES sites(id),
    groupname TEXT NOT NULL,
    disabled  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX agent_groups_site ON agent_groups(site_id);

CREATE TABLE agents (
    id            INTEGER PRIMARY KEY,               -- kf_id
    site_id       INTEGER NOT NULL REFERENCES sites(id),
    account       TEXT NOT NULL UNIQUE,              -- kf_account, prefix@site
    nick          TEXT NOT NULL,
    headimgurl    TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,                     -- argon2id PHC string
    max_chats     INTEGER NOT NULL DEFAULT 5,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX agents_site ON agents(site_id);

CREATE TABLE agent_group_members (
    agent_id INTEGER NOT NULL REFERENCES agents(id),
    group_id INTEGER NOT NULL REFERENCES agent_groups(id),
    PRIMARY KEY (agent_id, group_id)
);

CREATE TABLE agent_tokens (
    token_hash TEXT PRIMARY KEY,                     -- sha256 hex of the bearer token
    agent_id   INTEGER NOT NULL REFERENCES agents(id),
    expires_at INTEGER NOT NULL,                     -- unix seconds
    revoked    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX agent_tokens_agent ON agent_tokens(agent_id);

CREATE TABLE visitors (
    id             INTEGER PRIMARY KEY,              -- gid
    site_id        INTEGER NOT NULL REFERENCES sites(id),
    partnerid      TEXT,                             -- set only when verified by `sign`
    claimed_partnerid TEXT NOT NULL DEFAULT '',      -- what an unsigned page said (display only)
    uname          TEXT NOT NULL DEFAULT '',
    source         TEXT NOT NULL DEFAULT '',
    agent_id       INTEGER REFERENCES agents(id),    -- serving agent; NULL while waiting
    last_seq       INTEGER NOT NULL DEFAULT 0,       -- highest seq in this conversation
    agent_read_seq INTEGER NOT NULL DEFAULT 0,       -- agent marked read up to here (32200)
    created_at     INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    UNIQUE (site_id, partnerid)
);
CREATE INDEX visitors_agent ON visitors(agent_id);

CREATE TABLE visitor_tokens (
    token_hash TEXT PRIMARY KEY,                     -- sha256 hex of the visitor token
    visitor_id INTEGER NOT NULL REFERENCES visitors(id),
    created_at INTEGER NOT NULL
);

CREATE TABLE messages (
    id         INTEGER PRIMARY KEY,
    visitor_id INTEGER NOT NULL REFERENCES visitors(id),
    seq        INTEGER NOT NULL,
    author     TEXT NOT NULL CHECK (author IN ('visitor', 'agent', 'system')),
    agent_id   INTEGER REFERENCES agents(id),
    cmid       TEXT,                                 -- client message id (visitor sends)
    kind       INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 6),
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,                     -- unix milliseconds
    UNIQUE (visitor_id, seq),
    UNIQUE (visitor_id, cmid)
);
