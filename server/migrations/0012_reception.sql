-- Issue 11, reception (SQLite; migration 0010 already lets messages.author be 'robot').
--  * messages.nick: the robot's name on a robot message, as it was when it spoke (agents'
--    names still come from their row).
--  * visitors get the reception state shared by every tab and node: who answers now
--    (answerer 'robot'/'human', NULL = people, as before this issue), how often the robot did
--    not know the answer (robot_misses, for show_manual), and the reception values the server
--    needs after the hello (reception: a small JSON object, see server/src/db/reception.rs).
ALTER TABLE messages ADD COLUMN nick TEXT;
ALTER TABLE visitors ADD COLUMN answerer TEXT CHECK (answerer IN ('robot', 'human'));
ALTER TABLE visitors ADD COLUMN robot_misses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE visitors ADD COLUMN reception TEXT;
