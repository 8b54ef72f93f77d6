-- Issue 25, settings in the browser (SQLite; PostgreSQL twin in migrations-pg): every change
-- a site admin makes through the admin API (settings, groups, agents, VIP levels, blocks,
-- FAQ entries) — who (actor), what (action and its request, passwords left out), when (unix
-- ms). Never updated; read newest first.
CREATE TABLE admin_audit (
    id      INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX admin_audit_site ON admin_audit (site_id, id);
