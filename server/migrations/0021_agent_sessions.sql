-- Issue 22: an agent token refreshed over the socket keeps the time of the password login
-- it descends from, so a session (and a stolen token) cannot renew itself forever. 0 for
-- tokens minted before this migration: their `created_at` stands in.
ALTER TABLE agent_tokens ADD COLUMN login_at INTEGER NOT NULL DEFAULT 0;
