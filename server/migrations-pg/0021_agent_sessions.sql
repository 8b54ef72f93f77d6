-- PostgreSQL twin of migrations/0021_agent_sessions.sql.
ALTER TABLE agent_tokens ADD COLUMN login_at BIGINT NOT NULL DEFAULT 0;
