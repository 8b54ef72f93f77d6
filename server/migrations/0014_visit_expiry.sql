-- Issue 22: visits of pending tokens (nobody has written yet) expire; the sweep finds them by
-- their last report.
CREATE INDEX visits_by_update ON visits (updated_at);
