-- Push leasing: a node takes due deliveries by setting a lease (FOR UPDATE SKIP LOCKED), so
-- with several nodes each push is POSTed by one of them; an expired lease is taken over.
ALTER TABLE push_deliveries ADD COLUMN lease_until BIGINT;   -- unix milliseconds
ALTER TABLE push_deliveries ADD COLUMN lease_holder TEXT;
