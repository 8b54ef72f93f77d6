-- Waiting queue and skill-group routing (see migrations/0004_queue.sql).
ALTER TABLE visitors ADD COLUMN waiting_since BIGINT;
ALTER TABLE visitors ADD COLUMN group_id BIGINT REFERENCES agent_groups(id);
CREATE INDEX visitors_waiting ON visitors(site_id, waiting_since) WHERE waiting_since IS NOT NULL;
