-- Waiting queue and skill-group routing. A visitor waits (waiting_since set, agent_id NULL)
-- from their first unanswered message until an agent serves them; the oldest waiter is served
-- first. group_id is the skill group the visitor asked for (seed 003 `groupid`).
ALTER TABLE visitors ADD COLUMN waiting_since INTEGER;  -- unix milliseconds
ALTER TABLE visitors ADD COLUMN group_id INTEGER REFERENCES agent_groups(id);
CREATE INDEX visitors_waiting ON visitors(site_id, waiting_since) WHERE waiting_since IS NOT NULL;
