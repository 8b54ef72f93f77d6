-- Issue 11, reception (SQLite). The robot is a participant of the conversation:
--  * messages.author may be 'robot', and messages.nick keeps the robot's name as it was when it
--    spoke (agents' names still come from their row). SQLite cannot change a CHECK constraint
--    with ALTER TABLE, and rebuilding messages is not possible here: sqlx runs a SQLite
--    migration inside a transaction, where foreign keys cannot be switched off, and renaming
--    a parent table then rewrites push_deliveries' reference. So the constraint is widened
--    the way SQLite documents for loosening constraints ("Making Other Kinds Of Table Schema
--    Changes"): the stored CREATE TABLE text is edited under writable_schema (every existing
--    row satisfies the wider check). The column is added first, so ALTER TABLE works on the
--    text it parsed; the connection that ran this is closed right after the migrations and
--    every later one reads the new schema.
--  * visitors get the reception state shared by every tab and node: who answers now
--    (answerer 'robot'/'human', NULL = human as before this issue), how often the robot did
--    not know the answer (robot_misses, for show_manual), and the reception values the server
--    needs after the hello (reception: a small JSON object, see server/src/db/reception.rs).
ALTER TABLE messages ADD COLUMN nick TEXT;   -- the robot's name on robot messages
PRAGMA writable_schema = ON;
UPDATE sqlite_master
   SET sql = replace(sql, 'CHECK (author IN (''visitor'', ''agent'', ''system''))',
                          'CHECK (author IN (''visitor'', ''agent'', ''system'', ''robot''))')
 WHERE type = 'table' AND name = 'messages';
PRAGMA writable_schema = OFF;
ALTER TABLE visitors ADD COLUMN answerer TEXT CHECK (answerer IN ('robot', 'human'));
ALTER TABLE visitors ADD COLUMN robot_misses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE visitors ADD COLUMN reception TEXT;
