-- Issue 25, items 8 and 10: an agent's role on its site (agent: its own chats; supervisor:
-- also every chat of the site, join or take one; admin: also the site's settings in the
-- console) and the language and time zone its console shows ('' = the browser's).
ALTER TABLE agents ADD COLUMN role TEXT NOT NULL DEFAULT 'agent'
    CHECK (role IN ('agent', 'supervisor', 'admin'));
ALTER TABLE agents ADD COLUMN locale TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN tz TEXT NOT NULL DEFAULT '';
