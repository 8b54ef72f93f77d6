-- PostgreSQL twin of migrations/0015_primary_keys_not_null.sql: here a PRIMARY KEY column
-- is NOT NULL already; the same constraints are stated so both files say the same (each
-- statement finds the column NOT NULL and changes nothing).
ALTER TABLE settings ALTER COLUMN key SET NOT NULL;
ALTER TABLE agent_tokens ALTER COLUMN token_hash SET NOT NULL;
ALTER TABLE visitor_tokens ALTER COLUMN token_hash SET NOT NULL;
ALTER TABLE access_tokens ALTER COLUMN token_hash SET NOT NULL;
ALTER TABLE files ALTER COLUMN id SET NOT NULL;
ALTER TABLE leases ALTER COLUMN name SET NOT NULL;
