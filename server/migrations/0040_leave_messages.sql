-- Issue 24, leave a message (seed 003 留言).
--  * leave_templates: a site's forms (`admin leave template add`); `templateid` the number its
--    pages ask for (seed 003 templateid), `fields` a JSON array of shared::leave::Field.
--  * left_messages: what visitors left. `visitor_id` the conversation the answer goes to;
--    `fields` a JSON array of shared::leave::FieldValue (labels as the form showed them);
--    `done_at` set when answered or marked done (NULL: open); `answer` the agent's answer.
CREATE TABLE leave_templates (
    id         INTEGER PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    templateid INTEGER NOT NULL,
    name       TEXT NOT NULL,
    fields     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (site_id, templateid)
);

CREATE TABLE left_messages (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites(id),
    visitor_id  INTEGER NOT NULL REFERENCES visitors(id),
    templateid  INTEGER NOT NULL DEFAULT 0,
    group_id    INTEGER,
    source      TEXT NOT NULL DEFAULT '',
    content     TEXT NOT NULL,
    fields      TEXT NOT NULL DEFAULT '[]',
    answer      TEXT,
    answered_by INTEGER,                       -- agents.id
    answered_at INTEGER,                       -- unix milliseconds
    done_at     INTEGER,                       -- unix milliseconds; NULL while open
    created_at  INTEGER NOT NULL               -- unix milliseconds
);
CREATE INDEX left_messages_site ON left_messages (site_id, id);
CREATE INDEX left_messages_open ON left_messages (site_id, done_at);
