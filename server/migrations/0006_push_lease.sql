-- Push leasing: a node takes due deliveries by setting a lease (one UPDATE on the writer, so
-- atomic), so with several processes on one file each push is POSTed by one of them; an
-- expired lease is taken over.
ALTER TABLE push_deliveries ADD COLUMN lease_until INTEGER;  -- unix milliseconds
ALTER TABLE push_deliveries ADD COLUMN lease_holder TEXT;
