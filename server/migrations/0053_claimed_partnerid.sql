-- Issue 25, the customer beside the chat (SQLite; PostgreSQL twin in migrations-pg): a
-- visitor's earlier conversations include those of the site's visitors whose page claimed
-- the same partnerid (db/visitors.rs visitors_with_partnerid).
CREATE INDEX visitors_claimed ON visitors (site_id, claimed_partnerid);
