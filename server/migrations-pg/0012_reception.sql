-- Issue 11, reception (PostgreSQL; see migrations/0012_reception.sql): the robot's name on
-- robot messages (messages.nick; 0010 lets author be 'robot') and the visitor's reception
-- state (answerer, robot_misses, reception JSON).
ALTER TABLE messages ADD COLUMN nick TEXT;
ALTER TABLE visitors ADD COLUMN answerer TEXT CHECK (answerer IN ('robot', 'human'));
ALTER TABLE visitors ADD COLUMN robot_misses BIGINT NOT NULL DEFAULT 0;
ALTER TABLE visitors ADD COLUMN reception TEXT;
