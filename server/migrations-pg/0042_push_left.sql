-- Issue 24: a left message goes to the site's push URL like any message. A delivery is now of
-- a message (`message_id`) or of a left message (`left_id`), exactly one of them, each pushed
-- at most once (UNIQUE; NULLs do not collide).
ALTER TABLE push_deliveries ALTER COLUMN message_id DROP NOT NULL;
ALTER TABLE push_deliveries ADD COLUMN left_id BIGINT UNIQUE REFERENCES left_messages(id);
ALTER TABLE push_deliveries ADD CONSTRAINT push_deliveries_one_subject
    CHECK ((message_id IS NULL) <> (left_id IS NULL));
