-- Many nodes (issue 7): what every `frontdesk serve` process of one database must see.
-- nodes: one row per running process (id = its node id), heartbeat every few seconds; a node
-- whose heartbeat is older than the node timeout is dead and its rows are swept.
CREATE TABLE nodes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at   INTEGER NOT NULL,                -- unix milliseconds
    heartbeat_at INTEGER NOT NULL                 -- unix milliseconds
);
-- One row per logged-in agent connection on any node; ix is the seed 001 `ix`/`aix`, unique
-- across nodes (never reused). suspended is 32500's state (0/1).
CREATE TABLE agent_conns (
    ix        INTEGER PRIMARY KEY AUTOINCREMENT,
    node_id   INTEGER NOT NULL,
    agent_id  INTEGER NOT NULL,
    site_id   INTEGER NOT NULL,
    suspended INTEGER NOT NULL DEFAULT 0,
    since     INTEGER NOT NULL                    -- unix milliseconds
);
CREATE INDEX agent_conns_site ON agent_conns(site_id);
CREATE INDEX agent_conns_agent ON agent_conns(agent_id);
CREATE INDEX agent_conns_node ON agent_conns(node_id);
-- When an agent's last connection went away (closed, or its node died): the offline sweep
-- releases its visitors once this is older than the offline grace and no connection is live.
CREATE TABLE agent_seen (
    agent_id INTEGER PRIMARY KEY,
    site_id  INTEGER NOT NULL,
    at       INTEGER NOT NULL                     -- unix milliseconds
);
-- Leases for periodic jobs one node at a time runs (the offline sweep).
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    node_id    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL                   -- unix milliseconds
);
-- Upload bodies, in chunks, so every node serves every upload.
CREATE TABLE file_chunks (
    file_id TEXT NOT NULL,
    n       INTEGER NOT NULL,
    data    BLOB NOT NULL,
    PRIMARY KEY (file_id, n)
);
-- Open chat tabs of a visitor per node (kept only with several nodes, --redis-url), so the
-- agents' guest lists and pushes show "online" whichever node the tabs are on.
CREATE TABLE visitor_tabs (
    visitor_id INTEGER NOT NULL,
    node_id    INTEGER NOT NULL,
    tabs       INTEGER NOT NULL,
    PRIMARY KEY (visitor_id, node_id)
);
