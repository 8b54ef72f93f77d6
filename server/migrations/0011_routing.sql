-- Routing rules (issue 11, seed 003 接待模式 / VIP智能路由接待 / 平台电商对接).
-- External ids: the hosted system's string ids of agents and groups (`agentid`, `groupid`,
-- `deciId`, `flowGroupId` may name either the numeric id or this), unique per site.
ALTER TABLE agents ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX agents_external_id ON agents (site_id, external_id);
ALTER TABLE agent_groups ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX agent_groups_external_id ON agent_groups (site_id, external_id);
-- Working hours ("Mon-Fri 09:00-18:00; Sat 10:00-14:00") in an IANA time zone; NULL hours:
-- always on duty.
ALTER TABLE agent_groups ADD COLUMN hours TEXT;
ALTER TABLE agent_groups ADD COLUMN tz TEXT;
-- The site's reception settings: default mode (1-4), robot misses before the hand-over
-- control shows, texts, and the platform code linking sites for flowType overflow.
ALTER TABLE sites ADD COLUMN reception INTEGER NOT NULL DEFAULT 2;
ALTER TABLE sites ADD COLUMN manual_after INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sites ADD COLUMN offline_title TEXT;
ALTER TABLE sites ADD COLUMN agent_hello TEXT;
ALTER TABLE sites ADD COLUMN platform TEXT;
-- VIP levels a site defines (`vip_level` names one by level_id or name); higher rank first.
CREATE TABLE vip_levels (
    site_id  INTEGER NOT NULL REFERENCES sites(id),
    level_id TEXT NOT NULL,
    name     TEXT NOT NULL,
    vip_rank INTEGER NOT NULL,
    PRIMARY KEY (site_id, level_id)
);
-- The visitor's route as the hello asked for it (JSON, `rules::Route`), and their queue
-- priority (queueFirst, then VIP rank, then 0).
ALTER TABLE visitors ADD COLUMN route TEXT;
ALTER TABLE visitors ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
