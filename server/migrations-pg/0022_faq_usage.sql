-- Issue 22: how much of its FAQ allowance a site uses (entries, characters of questions,
-- answers and other phrasings), kept up to date by every add and delete so the allowance is
-- checked without reading the site's entries.
ALTER TABLE sites ADD COLUMN faq_entries BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sites ADD COLUMN faq_chars BIGINT NOT NULL DEFAULT 0;
UPDATE sites SET
    faq_entries = (SELECT COUNT(*) FROM faqs WHERE faqs.site_id = sites.id),
    faq_chars = (SELECT COALESCE(SUM(LENGTH(question) + LENGTH(answer) + LENGTH(phrasings)), 0)
                 FROM faqs WHERE faqs.site_id = sites.id);
