-- Issue 22: whether a site honours what only the page says — queue priority (`queueFirst`,
-- `is_vip`, `vip_level`) and greeting texts — from visitors who did not prove who they are:
-- 'auto' (the default: yes unless the site's sign check is on), 'on', 'off'.
ALTER TABLE sites ADD COLUMN page_trust TEXT NOT NULL DEFAULT 'auto';
