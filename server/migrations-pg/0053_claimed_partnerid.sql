-- PostgreSQL twin of migrations/0053_claimed_partnerid.sql (see there).
CREATE INDEX visitors_claimed ON visitors (site_id, claimed_partnerid);
