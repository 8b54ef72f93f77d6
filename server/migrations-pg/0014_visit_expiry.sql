-- PostgreSQL twin of migrations/0014_visit_expiry.sql.
CREATE INDEX visits_by_update ON visits (updated_at);
