-- Issue 11, reception (PostgreSQL; see migrations/0012_reception.sql): robot messages
-- (author 'robot', the robot's name in messages.nick) and the visitor's reception state
-- (answerer, robot_misses, reception JSON).
ALTER TABLE messages DROP CONSTRAINT messages_author_check;
ALTER TABLE messages ADD CONSTRAINT messages_author_check
    CHECK (author IN ('visitor', 'agent', 'system', 'robot'));
ALTER TABLE messages ADD COLUMN nick TEXT;
ALTER TABLE visitors ADD COLUMN answerer TEXT CHECK (answerer IN ('robot', 'human'));
ALTER TABLE visitors ADD COLUMN robot_misses BIGINT NOT NULL DEFAULT 0;
ALTER TABLE visitors ADD COLUMN reception TEXT;
